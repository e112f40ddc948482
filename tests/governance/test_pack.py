"""A subject access pack holds every record of one person and none of another's, read
back from the stored ZIP (its JSON and its PDF's text); third parties are marked."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.governance import operations
from marac.governance.models import PackStatus, SubjectAccessPack
from marac.jobs.models import Job, JobStatus
from marac.operations import Conflict, Invalid, NotFound, Refused
from tests.governance import (
    A_INCIDENT,
    ATTACHMENT_BYTES,
    B_INCIDENT,
    ICO_NUMBER,
    PERPETRATOR,
    SarWorld,
    read_pack,
)
from tests.minutes.helpers import (
    HOUSING_ACTION,
    HOUSING_INFO,
    POLICE_ACTION,
    POLICE_INFO,
    POLICE_OFFICER,
    RISKS,
    VS_ACTION,
)


def _produce(db: Session, app: Flask, world: SarWorld, actor=None) -> SubjectAccessPack:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        job = operations.request_pack(db, actor or world.coordinator, world.person_a.id)
    db.expire_all()
    assert db.get_one(Job, job.id).status == JobStatus.DONE.value
    return db.scalars(select(SubjectAccessPack).where(SubjectAccessPack.job_id == job.id)).one()


def test_the_pack_holds_every_record_of_the_person_and_none_of_another(
    db: Session, app: Flask
) -> None:
    world = SarWorld(db, app)
    pack = _produce(db, app, world)
    assert pack.status == PackStatus.READY.value
    with app.test_request_context():
        data, filename = operations.download_pack(db, world.coordinator, pack.id)
    assert filename.endswith(".zip")
    content, text, files = read_pack(data)
    a, b = world.person_a, world.person_b
    assert content["person"]["full_name"] == a.full_name
    assert [i["description"] for i in content["incidents"]] == [A_INCIDENT]
    assert [x["id"] for x in content["assessments"]] == [world.a_assessment.id]
    assert content["assessments"][0]["answers"] == world.a_assessment.answers
    readable = content["assessments"][0]["answers_readable"]
    assert len(readable) >= len(world.a_assessment.answers) // 2
    assert readable[0]["question"][:20] in text  # the question's own words, in the PDF
    assert [r["reference"] for r in content["referrals"]] == [world.referrals[0].reference]
    listing = content["agenda_listings"]
    assert len(listing) == 1 and listing[0]["decision"] == "review"
    assert {i["information"] for i in listing[0]["agency_information"]} == {
        POLICE_INFO,
        HOUSING_INFO,
    }
    assert {x["description"] for x in content["actions"]} == {HOUSING_ACTION, POLICE_ACTION}
    # The attachment itself, byte for byte.
    (attachment,) = content["attachments"]
    assert files[attachment["file_in_pack"]] == ATTACHMENT_BYTES
    # Its case in the issued minutes, and the extracts it went out in.
    (minutes,) = content["minutes"]
    assert minutes["reference"] == world.referrals[0].reference and minutes["risks"] == RISKS
    assert {e["agency"] for e in minutes["extracts"]} == {world.police.name, world.housing.name}
    # The organisations present (housing sent apologies), each with its ICO number.
    (meeting,) = content["data_controllers_by_meeting"]
    assert meeting["data_controllers"] == [
        {"organisation": world.police.name, "ico_registration": ICO_NUMBER}
    ]
    # Who viewed the records, from the audit log.
    viewed = [v for v in content["access_log"] if v["what"] == "person_viewed"]
    assert viewed and viewed[0]["who"]["name"] == world.police_member.name
    # Third parties listed for redaction, and marked in the PDF.
    names = {(t["name"], t["role"]) for t in content["third_parties"]}
    assert (PERPETRATOR, "perpetrator") in names and (POLICE_OFFICER, "staff") in names
    assert f"[[{PERPETRATOR}]]" in text and f"[[{POLICE_OFFICER}]]" in text
    assert a.full_name in text and A_INCIDENT in text and ICO_NUMBER in text
    # Nothing of the other person, in either form.
    everything = data.decode("latin-1") + str(content) + text
    for other in (b.full_name, B_INCIDENT, VS_ACTION, world.referrals[1].reference):
        assert other not in str(content) and other not in text, other
    assert str(world.b_assessment.id) not in {str(x["id"]) for x in content["assessments"]}
    assert everything  # read every part


def test_asking_downloading_and_releasing_are_audited(db: Session, app: Flask) -> None:
    world = SarWorld(db, app)
    pack = _produce(db, app, world, actor=world.coordinator)
    with app.test_request_context():
        operations.download_pack(db, world.coordinator, pack.id)
        with pytest.raises(Invalid) as missing:
            operations.release_pack(db, world.coordinator, pack.id, released_to="", method="x")
        assert set(missing.value.errors) == {"released_to", "method"}
        operations.release_pack(
            db, world.coordinator, pack.id, released_to="The person, by hand", method="in_person"
        )
        with pytest.raises(Conflict):
            operations.release_pack(
                db, world.coordinator, pack.id, released_to="Again", method="post"
            )
    db.expire_all()
    pack = db.get_one(SubjectAccessPack, pack.id)
    assert pack.status == PackStatus.RELEASED.value
    assert pack.released_by_id == world.coordinator.id and pack.released_to == "The person, by hand"
    actions = list(
        db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "person", AuditEvent.object_id == str(world.person_a.id)
            )
        )
    )
    for action in (
        "subject_access_requested",
        "subject_access_produced",
        "subject_access_downloaded",
        "subject_access_released",
    ):
        assert action in actions


def test_others_may_not_ask_for_or_download_a_pack(db: Session, app: Flask) -> None:
    world = SarWorld(db, app)
    pack = _produce(db, app, world)
    refused = [
        world.other_coordinator,  # another area's coordinator
        world.police_member,  # a member of the panel that heard the case
        world.referrer,  # the referrer
        world.admin,
    ]
    with app.test_request_context():
        for user in refused:
            with pytest.raises(Refused):
                operations.request_pack(db, user, world.person_a.id)
            with pytest.raises(Refused):
                operations.download_pack(db, user, pack.id)
            with pytest.raises(Refused):
                operations.release_pack(db, user, pack.id, released_to="Someone", method="post")
        with pytest.raises(NotFound):
            operations.download_pack(db, world.coordinator, pack.id + 1000)
    assert db.scalar(select(SubjectAccessPack.id).where(SubjectAccessPack.id != pack.id)) is None


def test_an_incident_naming_the_person_as_perpetrator_marks_its_victim(
    db: Session, app: Flask
) -> None:
    """The person's own part is theirs to have; the other victim's name is marked."""
    from marac.accounts.models import Role
    from marac.incidents.models import Incident, Perpetrator
    from tests.factories import make_user

    world = SarWorld(db, app)
    (b_incident,) = db.scalars(
        select(Incident).where(
            Incident.person_id == world.person_b.id, Incident.description == B_INCIDENT
        )
    )
    db.add(Perpetrator(incident_id=b_incident.id, known=True, person_id=world.person_a.id))
    db.commit()
    governance = make_user(db, Role.GOVERNANCE, agency=world.police)
    pack = _produce(db, app, world, actor=governance)
    with app.test_request_context():
        data, _name = operations.download_pack(db, governance, pack.id)
    content, text, _files = read_pack(data)
    (named,) = content["incidents_as_perpetrator"]
    assert named["description"] == B_INCIDENT
    assert named["victim"] == {"name": world.person_b.full_name, "third_party": "other victim"}
    assert f"[[{world.person_b.full_name}]]" in text
    assert [p["is_this_person"] for p in named["perpetrators"]] == [True]


def test_a_pack_that_cannot_be_produced_says_so_and_is_never_downloadable(
    db: Session, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marac.governance import jobs

    world = SarWorld(db, app)

    def broken(content: object) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(jobs, "render_pdf", broken)
    with app.test_request_context():
        job = operations.request_pack(db, world.coordinator, world.person_a.id)
    db.expire_all()
    job = db.get_one(Job, job.id)
    assert job.status == JobStatus.FAILED.value and "renderer crashed" not in job.message
    pack = db.scalars(select(SubjectAccessPack).where(SubjectAccessPack.job_id == job.id)).one()
    assert pack.status == PackStatus.FAILED.value and pack.storage_key == ""
    with app.test_request_context(), pytest.raises(NotFound):
        operations.download_pack(db, world.coordinator, pack.id)
