"""Who may reach each route: the authorisation matrix as data, one entry per endpoint.

Every endpoint in `app.url_map` needs an entry in `RULES`; the matrix test fails naming
any route without one, so a new route is a one-line addition here. An entry names the
actors allowed (sets below, or actor names) and, when it matters, the record each URL
parameter points at and the outcome for everyone else. Actors are the users of
`tests.security.world.MatrixWorld`, named by their relation to its records.

A new route is one line, e.g. `"accounts.two_factor": rule(EVERYONE),` or
`"referrals.export": rule(REFERRER_OWNER, RUNS_PANEL),`; a URL parameter not in
`PARAM_RECORDS` also needs a record in the world.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    ALLOWED = "allowed"  # 2xx, a redirect to a normal page, or (POST) 400 for the empty form
    REFUSED = "refused"  # 403
    NOT_FOUND = "not found"  # 404
    SIGN_IN = "sign in"  # redirected to the sign-in page to continue
    BAD_REQUEST = "HTTP 400"  # e.g. a provider's callback with no sign-in under way
    NO_TOKEN = "HTTP 401"  # an API route: only a bearer token opens it, never a session


ANONYMOUS = "anonymous"
REFERRER_OWNER = "referrer_owner"  # recorded the incident, assessed it, referred the case
REFERRER_SAME_AGENCY = "referrer_same_agency"
REFERRER_OTHER_AGENCY = "referrer_other_agency"
SUPERVISOR_SAME_AGENCY = "supervisor_same_agency"
SUPERVISOR_OTHER_AGENCY = "supervisor_other_agency"
MEMBER_ON_PANEL = "member_on_panel"  # their agency sits on the case's panel
MEMBER_OFF_PANEL = "member_off_panel"
COORDINATOR_SAME_AREA = "coordinator_same_area"  # runs the case's area and panel
COORDINATOR_OTHER_AREA = "coordinator_other_area"
ACTION_OWNER = "action_owner"  # a housing officer named on the case's action
ADMIN = "admin"
GOVERNANCE = "governance"  # the data protection officer: governance pages, no case content

SIGNED_IN = frozenset(
    {
        REFERRER_OWNER,
        REFERRER_SAME_AGENCY,
        REFERRER_OTHER_AGENCY,
        SUPERVISOR_SAME_AGENCY,
        SUPERVISOR_OTHER_AGENCY,
        MEMBER_ON_PANEL,
        MEMBER_OFF_PANEL,
        COORDINATOR_SAME_AREA,
        COORDINATOR_OTHER_AREA,
        ACTION_OWNER,
        ADMIN,
        GOVERNANCE,
    }
)
ACTORS = (ANONYMOUS, *sorted(SIGNED_IN))

EVERYONE = SIGNED_IN | {ANONYMOUS}
CASE_WORKERS = SIGNED_IN - {ADMIN, GOVERNANCE}  # referrers, members and coordinators
SUPERVISORS = frozenset({SUPERVISOR_SAME_AGENCY, SUPERVISOR_OTHER_AGENCY})
MEMBERS = frozenset({MEMBER_ON_PANEL, MEMBER_OFF_PANEL})
COORDINATORS = frozenset({COORDINATOR_SAME_AREA, COORDINATOR_OTHER_AREA})
ADMINS = frozenset({ADMIN})
GOVERNORS = frozenset({GOVERNANCE})
# Seeing the incident (and so its person and assessments): recorder, agency supervisor,
# the area's coordinator.
INCIDENT_READERS = frozenset({REFERRER_OWNER, SUPERVISOR_SAME_AGENCY, COORDINATOR_SAME_AREA})
# The panel's people: the coordinator running it and the members of its agencies.
PANEL = frozenset({COORDINATOR_SAME_AREA, MEMBER_ON_PANEL})
RUNS_PANEL = frozenset({COORDINATOR_SAME_AREA})

# Who has a reason to read the victim's name (the case's people and the action's owner);
# no page may show it to anyone else, whatever the route.
CASE_SIGHTED = INCIDENT_READERS | PANEL | {ACTION_OWNER}

# The world record each URL parameter points at, unless an entry says otherwise.
PARAM_RECORDS: Mapping[str, str] = {
    "agency_id": "agency",
    "area_id": "area",
    "strand_id": "strand",
    "user_id": "user",
    "person_id": "person",
    "first_id": "person",
    "second_id": "twin",
    "incident_id": "incident",
    "assessment_id": "submitted_assessment",
    "section_key": "section_key",
    "referral_id": "referral",
    "panel_id": "panel",
    "meeting_id": "meeting",
    "item_id": "item",
    "attendee_id": "attendee",
    "action_id": "action",
    "document_id": "document",
    "job_id": "minutes_job",
    "notification_id": "notification",
    "target_id": "target",
    "pack_id": "sar_pack",
    "provider_id": "provider",
    "client_id": "api_client",
    "batch_id": "import_batch",
    "version": "instrument_version",
    "sender_reference": "instrument_version",  # any text: the API refuses a cookie first
    "token": "calendar_token",
    "key": "report_key",
    "filename": "static_file",
    "restriction_id": "restriction",
}


@dataclass(frozen=True)
class Rule:
    """Who may reach one endpoint (every method), and what everyone else gets."""

    allowed: frozenset[str]
    others: Outcome = Outcome.REFUSED  # signed-in actors not allowed
    anonymous: Outcome = Outcome.SIGN_IN  # unless ANONYMOUS is allowed
    exceptions: Mapping[str, Outcome] = field(default_factory=dict)  # per actor
    params: Mapping[str, str] = field(default_factory=dict)  # URL parameter -> record
    data: Mapping[str, str] = field(default_factory=dict)  # POST form; "{record}" filled in
    query: str = ""  # GET query string, e.g. "panel={panel}"
    fresh_session: bool = False  # the request ends the session: sign in anew for it

    def expected(self, actor: str) -> Outcome:
        if actor in self.exceptions:
            return self.exceptions[actor]
        if actor in self.allowed:
            return Outcome.ALLOWED
        return self.anonymous if actor == ANONYMOUS else self.others


def rule(*allowed: str | Iterable[str], **kw: object) -> Rule:
    """`rule(INCIDENT_READERS, MEMBER_ON_PANEL)`: the union of actor sets and names."""
    names: set[str] = set()
    for part in allowed:
        names |= {part} if isinstance(part, str) else set(part)
    unknown = names - set(ACTORS)
    assert not unknown, f"unknown actors {unknown}"
    return Rule(frozenset(names), **kw)  # type: ignore[arg-type]


HELD = {"meeting_id": "held_meeting", "item_id": "held_item"}
UNPUBLISHED = {"meeting_id": "draft_meeting", "item_id": "draft_item"}
NEW_REFERRAL = {"referral_id": "new_referral"}
DRAFT = {"assessment_id": "draft_assessment"}
NOT_YOURS = Outcome.NOT_FOUND
RESTRICTED_PERSON = {"person_id": "restricted_person"}
RESTRICTED_REQUEST = {"restriction_id": "restriction", "request_id": "restriction_request"}
RESTRICTED_ACCESS = {"restriction_id": "restriction", "access_id": "restriction_access"}

RULES: dict[str, Rule] = {
    # ---- public pages and files
    "static": rule(EVERYONE),
    "assets": rule(EVERYONE, params={"filename": "asset_file"}),
    "health.healthz": rule(EVERYONE),
    "pages.accessibility": rule(EVERYONE),
    "pages.privacy": rule(EVERYONE),
    "panels.calendar_ics": rule(EVERYONE),  # the secret token in the URL is the key
    # ---- signing in and the account
    "accounts.login": rule(EVERYONE),
    "accounts.logout": rule(SIGNED_IN, fresh_session=True),
    "accounts.change_password": rule(SIGNED_IN),
    "accounts.keep_alive": rule(SIGNED_IN),
    # A fully signed-in session is sent on from the second-factor pages to its home page.
    "accounts.second_factor": rule(SIGNED_IN),
    "accounts.recovery_code": rule(SIGNED_IN),
    "accounts.set_up_second_factor": rule(SIGNED_IN),
    # The link is the key: a wrong one is not found, whoever asks.
    "accounts.accept_invitation": rule(others=Outcome.NOT_FOUND, anonymous=Outcome.NOT_FOUND),
    "sso.start": rule(EVERYONE),
    # Only the browser coming back from a sign-in this session started gets further.
    "sso.callback": rule(others=Outcome.BAD_REQUEST, anonymous=Outcome.BAD_REQUEST),
    "home.dashboard": rule(SIGNED_IN),
    # ---- administration
    "admin.users": rule(ADMINS),
    "admin.user_new": rule(ADMINS),
    "admin.user_edit": rule(ADMINS),
    "admin.user_unlock": rule(ADMINS),
    "admin.user_invite": rule(ADMINS),
    "admin.user_reset_password": rule(ADMINS),
    "admin.user_reset_second_factor": rule(ADMINS),
    "sso_admin.index": rule(ADMINS),
    "sso_admin.new": rule(ADMINS),
    "sso_admin.edit": rule(ADMINS),
    "admin.agencies": rule(ADMINS),
    "admin.agency_new": rule(ADMINS),
    "admin.agency_edit": rule(ADMINS),
    "admin.areas": rule(ADMINS),
    "admin.area_new": rule(ADMINS),
    "admin.area_edit": rule(ADMINS),
    "local_strands.index": rule(ADMINS),
    "local_strands.edit": rule(ADMINS),
    "referral_settings.trigger_settings": rule(ADMINS),
    "repeats.settings": rule(ADMINS),
    "audit.log": rule(ADMINS, GOVERNORS),
    "notify.outbox": rule(ADMINS),
    # ---- incidents, people, assessments
    "incidents.new": rule(CASE_WORKERS),
    "incidents.view": rule(INCIDENT_READERS),
    "people.search": rule(CASE_WORKERS),
    "people.view": rule(INCIDENT_READERS),
    "people.timeline": rule(INCIDENT_READERS),
    "people.duplicates": rule(COORDINATORS),
    "people.merge": rule(COORDINATOR_SAME_AREA),
    "people.not_duplicates": rule(COORDINATOR_SAME_AREA),
    "assessments.index": rule(CASE_WORKERS),
    "assessments.start": rule(INCIDENT_READERS, data={"incident_id": "{incident}"}),
    "assessments.view": rule(INCIDENT_READERS),
    "assessments.section": rule(REFERRER_OWNER, params=DRAFT),
    "assessments.check": rule(REFERRER_OWNER, params=DRAFT),
    "assessments.endorsement_queue": rule(SUPERVISORS),
    "assessments.endorse": rule(SUPERVISOR_SAME_AGENCY),
    # ---- referrals and screening
    "referrals.index": rule(SIGNED_IN),
    "cases.index": rule(MEMBERS, COORDINATORS),
    "referrals.new": rule(CASE_WORKERS),
    "referrals.view": rule(REFERRER_OWNER, PANEL),
    "referrals.reply": rule(REFERRER_OWNER, params={"referral_id": "more_info_referral"}),
    "referrals.screening": rule(COORDINATORS),
    "referrals.high_risk_waiting": rule(COORDINATORS),
    "referrals.accept": rule(RUNS_PANEL, params=NEW_REFERRAL),
    "referrals.decline": rule(RUNS_PANEL, params=NEW_REFERRAL),
    "referrals.more_info": rule(RUNS_PANEL, params=NEW_REFERRAL),
    "referrals.merge": rule(RUNS_PANEL, params=NEW_REFERRAL),
    "referrals.sharing_basis": rule(RUNS_PANEL, params=NEW_REFERRAL),
    # ---- restricted records (the world's restricted person: recorded by the owner, in the
    # north, restricted by the north coordinator; the supervisor has asked for access)
    "restrictions.index": rule(COORDINATORS),
    "restrictions.restrict": rule(COORDINATOR_SAME_AREA),
    "restrictions.manage": rule(RUNS_PANEL),
    "restrictions.name_users": rule(RUNS_PANEL),
    "restrictions.remove_access": rule(RUNS_PANEL, params=RESTRICTED_ACCESS),
    "restrictions.lift": rule(RUNS_PANEL),
    "restrictions.decide": rule(RUNS_PANEL, params=RESTRICTED_REQUEST),
    # those who would see the person but for the restriction (and its coordinator, sent on)
    "restrictions.ask": rule(
        REFERRER_OWNER, SUPERVISOR_SAME_AGENCY, RUNS_PANEL, params=RESTRICTED_PERSON
    ),
    "restrictions.break_glass": rule(RUNS_PANEL, params=RESTRICTED_PERSON),
    # ---- panels and the calendar
    "panels.index": rule(COORDINATORS, ADMINS),
    "panels.new": rule(COORDINATORS, ADMINS),
    "panels.view": rule(RUNS_PANEL, ADMINS),
    "panels.edit": rule(RUNS_PANEL, ADMINS),
    "panels.deactivate": rule(RUNS_PANEL, ADMINS),
    "panels.reactivate": rule(RUNS_PANEL, ADMINS),
    "panels.schedule": rule(RUNS_PANEL),
    "panels.move_meeting": rule(RUNS_PANEL),
    "panels.cancel_meeting": rule(RUNS_PANEL),
    "panels.meeting_ics": rule(PANEL),
    "panels.calendar_feed": rule(MEMBERS, COORDINATORS),
    "panels.calendar_feed_create": rule(MEMBERS, COORDINATORS),
    "panels.calendar_feed_revoke": rule(MEMBERS, COORDINATORS),
    # ---- meetings: agenda, research, the record
    "meetings.index": rule(MEMBERS, COORDINATORS),
    "meetings.meeting": rule(PANEL),
    "meetings.build": rule(RUNS_PANEL),
    "meetings.publish": rule(RUNS_PANEL),
    "meetings.move": rule(RUNS_PANEL),
    "meetings.defer": rule(RUNS_PANEL),
    "meetings.remove": rule(RUNS_PANEL),
    "meetings.add_case": rule(RUNS_PANEL),
    "meetings.research": rule(MEMBER_ON_PANEL),
    "meetings.attendance": rule(RUNS_PANEL),
    "meetings.add_attendee": rule(RUNS_PANEL),
    "meetings.acknowledge_attendee": rule(RUNS_PANEL),
    "meetings.remove_attendee": rule(RUNS_PANEL),
    "meetings.add_meeting_agency": rule(RUNS_PANEL),
    "meetings.record_case": rule(PANEL),
    "meetings.save_case": rule(RUNS_PANEL),
    "meetings.review": rule(RUNS_PANEL),
    "meetings.mark_reviewed": rule(RUNS_PANEL),
    "meetings.complete": rule(RUNS_PANEL),
    # ---- minutes and agenda PDFs (the held meeting, its issued full minutes)
    "minutes.minutes": rule(PANEL, ACTION_OWNER, params=HELD),
    "minutes.preview": rule(RUNS_PANEL, params=HELD),
    "minutes.approve": rule(RUNS_PANEL, params=HELD),
    "minutes.issue": rule(RUNS_PANEL, params=HELD),
    "minutes.correct": rule(RUNS_PANEL, params=HELD),
    "minutes.start_correction": rule(RUNS_PANEL, params=HELD),
    "minutes.download": rule(PANEL, params=HELD),
    "minutes.agenda": rule(PANEL),
    "minutes.prepare_agenda": rule(PANEL),
    # a minutes job: the coordinator who asked (running the panel); unknown to the rest
    "minutes.job": rule(
        RUNS_PANEL,
        params=HELD,
        others=NOT_YOURS,
        exceptions={ADMIN: Outcome.REFUSED, GOVERNANCE: Outcome.REFUSED},
    ),
    "minutes.job_status_json": rule(
        RUNS_PANEL,
        params=HELD,
        others=NOT_YOURS,
        exceptions={ADMIN: Outcome.REFUSED, GOVERNANCE: Outcome.REFUSED},
    ),
    # ---- jobs: a job's progress is its requester's (here the coordinator who issued)
    "jobs.progress": rule(COORDINATOR_SAME_AREA, others=NOT_YOURS),
    "jobs.status": rule(COORDINATOR_SAME_AREA, others=NOT_YOURS),
    # ---- actions
    "actions.mine": rule(CASE_WORKERS),
    "actions.agency": rule(SUPERVISORS, MEMBERS, COORDINATORS),
    "actions.view": rule(ACTION_OWNER, RUNS_PANEL),
    "actions.progress": rule(ACTION_OWNER, RUNS_PANEL),
    "actions.edit": rule(RUNS_PANEL),
    # ---- attachments: exactly who may see (download) or work on (upload) the record
    "attachments.new": rule(
        REFERRER_OWNER, RUNS_PANEL, params={"kind": "referral_kind", "record_id": "referral"}
    ),
    "attachments.download": rule(
        REFERRER_OWNER, PANEL, params={"attachment_id": "referral_attachment"}
    ),
    # ---- subject access and who has seen a case: the area's coordinator and governance
    "subject_access.index": rule(COORDINATORS, GOVERNORS),
    "subject_access.person": rule(RUNS_PANEL, GOVERNORS),
    "subject_access.request_pack": rule(RUNS_PANEL, GOVERNORS),
    "subject_access.pack": rule(RUNS_PANEL, GOVERNORS),
    "subject_access.release": rule(RUNS_PANEL, GOVERNORS),
    "subject_access.download": rule(RUNS_PANEL, GOVERNORS),
    "subject_access.person_seen": rule(RUNS_PANEL, GOVERNORS),
    "subject_access.referral_seen": rule(RUNS_PANEL, GOVERNORS),
    # ---- notifications
    "notify.index": rule(CASE_WORKERS),
    "notify.preferences": rule(CASE_WORKERS),
    "notify.mark_all_read": rule(CASE_WORKERS),
    # someone else's notification does not exist for them
    "notify.mark_read": rule(
        REFERRER_OWNER,
        others=NOT_YOURS,
        exceptions={ADMIN: Outcome.REFUSED, GOVERNANCE: Outcome.REFUSED},
    ),
    # ---- retention: governance and admins review and decide; admins set the schedule
    "retention.review": rule(GOVERNORS, ADMINS),
    # (nothing of the kind is listed: allowed actors are sent back to the review page)
    "retention.dispose": rule(GOVERNORS, ADMINS, data={"record_type": "outbox"}),
    "retention.keep": rule(
        GOVERNORS, ADMINS, params={"record_type": "retention_kind", "object_id": "closed_referral"}
    ),
    "retention.schedule": rule(ADMINS),
    # ---- reports and targets
    "reports.index": rule(COORDINATORS, ADMINS),
    "reports.export": rule(COORDINATORS, ADMINS),
    "reports.pack": rule(COORDINATORS, ADMINS),
    "reports.pack_pdf": rule(COORDINATORS, ADMINS),
    "reports.prepare_pack_pdf": rule(COORDINATORS, ADMINS),
    "reports.targets": rule(ADMINS),
    "reports.target_new": rule(ADMINS),
    "reports.target_edit": rule(ADMINS),
    "reports.target_delete": rule(ADMINS, params={"target_id": "spare_target"}),
    # ---- the API door and its clients
    "imports.index": rule(COORDINATORS),
    # an upload is its uploader's alone: another coordinator is told it does not exist
    "imports.batch": rule(RUNS_PANEL, exceptions={COORDINATOR_OTHER_AREA: Outcome.NOT_FOUND}),
    "imports.columns": rule(RUNS_PANEL, exceptions={COORDINATOR_OTHER_AREA: Outcome.NOT_FOUND}),
    "imports.start": rule(RUNS_PANEL, exceptions={COORDINATOR_OTHER_AREA: Outcome.NOT_FOUND}),
    "imports.abandon": rule(RUNS_PANEL, exceptions={COORDINATOR_OTHER_AREA: Outcome.NOT_FOUND}),
    "api_admin.index": rule(ADMINS),
    "api_admin.new": rule(ADMINS),
    "api_admin.rotate": rule(ADMINS),
    "api_admin.revoke": rule(ADMINS),
    "api.openapi_json": rule(EVERYONE),
    "api.reference": rule(EVERYONE),
    # A browser's session opens nothing under /api: everyone without a token gets 401.
    "api.instruments": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
    "api.instrument": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
    "api.strands": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
    "api.create_incident": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
    "api.incident_status": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
    "api.create_assessment": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
    "api.assessment_status": rule(others=Outcome.NO_TOKEN, anonymous=Outcome.NO_TOKEN),
}

# The same routes on records in other states, or asked about another record in the query
# string: (endpoint, rule). The state decides as much as the relation does.
VARIANTS: list[tuple[str, Rule]] = [
    # a draft is its assessor's alone; an endorsed one reads like a submitted one
    ("assessments.view", rule(REFERRER_OWNER, params=DRAFT)),
    ("assessments.view", rule(INCIDENT_READERS, params={"assessment_id": "endorsed_assessment"})),
    # cases never on a published agenda, and a closed one still listed: no members
    ("referrals.view", rule(REFERRER_OWNER, RUNS_PANEL, params=NEW_REFERRAL)),
    (
        "referrals.view",
        rule(REFERRER_OWNER, RUNS_PANEL, params={"referral_id": "more_info_referral"}),
    ),
    (
        "referrals.view",
        rule(REFERRER_OWNER, RUNS_PANEL, params={"referral_id": "declined_referral"}),
    ),
    ("referrals.view", rule(REFERRER_OWNER, RUNS_PANEL, params={"referral_id": "closed_referral"})),
    (
        "meetings.research",
        rule(params={"meeting_id": "held_meeting", "referral_id": "closed_referral"}),
    ),
    ("meetings.record_case", rule(PANEL, params=HELD)),
    # an accepted case on the next meeting's agenda, built but not published
    (
        "referrals.view",
        rule(REFERRER_OWNER, RUNS_PANEL, params={"referral_id": "accepted_referral"}),
    ),
    ("meetings.meeting", rule(PANEL, params=UNPUBLISHED)),
    ("meetings.record_case", rule(RUNS_PANEL, params=UNPUBLISHED)),
    ("meetings.research", rule(params={**UNPUBLISHED, "referral_id": "accepted_referral"})),
    ("minutes.agenda", rule(params=UNPUBLISHED)),  # no PDF of an unpublished agenda
    ("minutes.prepare_agenda", rule(params=UNPUBLISHED)),
    ("panels.meeting_ics", rule(PANEL, params=UNPUBLISHED)),
    # a referral started from an incident or a person the actor may not see
    ("referrals.new", rule(INCIDENT_READERS, query="incident_id={incident}")),
    ("referrals.new", rule(INCIDENT_READERS, query="person_id={person}")),
    ("people.view", rule(INCIDENT_READERS, params={"person_id": "twin"})),
    # the housing extract: the agency holding the actions and the panel's coordinator
    (
        "minutes.download",
        rule(RUNS_PANEL, ACTION_OWNER, params={**HELD, "document_id": "housing_extract"}),
    ),
    # documents on the incident and on the action follow those records
    (
        "attachments.new",
        rule(INCIDENT_READERS, params={"kind": "incident_kind", "record_id": "incident"}),
    ),
    (
        "attachments.new",
        rule(ACTION_OWNER, RUNS_PANEL, params={"kind": "action_kind", "record_id": "action"}),
    ),
    (
        "attachments.download",
        rule(INCIDENT_READERS, params={"attachment_id": "incident_attachment"}),
    ),
    (
        "attachments.download",
        rule(ACTION_OWNER, RUNS_PANEL, params={"attachment_id": "action_attachment"}),
    ),
    # reports on a panel: only one covering the coordinator's areas
    ("reports.index", rule(RUNS_PANEL, ADMINS, query="panel={panel}")),
    ("reports.export", rule(RUNS_PANEL, ADMINS, query="panel={panel}")),
    ("reports.pack", rule(RUNS_PANEL, ADMINS, query="panel={panel}")),
]
