"""The notification list (own only), mark as read, preferences, the admins' outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.notify import events
from marac.notify.models import Notification, NotificationPreference
from tests.factories import make_agency, make_user
from tests.meetings import PanelWorld


def _notify(db: Session, users: list, n: int = 1, link: str = "/actions/mine") -> None:
    for i in range(n):
        notice = events.Notice("test", f"Subject {i}", f"Message {i}", f"REF-{i}", link)
        events.deliver(db, users, notice)
    db.commit()


def test_users_see_only_their_own_notifications(db: Session, login) -> None:
    w = PanelWorld(db)
    _notify(db, [w.police_member])
    _notify(db, [w.housing_member], link="/secret")
    page = login(w.police_member).get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Message 0" in html and "REF-0" in html
    assert "/secret" not in html


def test_opening_marks_read_and_someone_elses_is_refused(db: Session, login) -> None:
    w = PanelWorld(db)
    _notify(db, [w.police_member, w.housing_member])
    mine = db.scalar(select(Notification).where(Notification.user_id == w.police_member.id))
    theirs = db.scalar(select(Notification).where(Notification.user_id == w.housing_member.id))
    client = login(w.police_member)
    response = client.submit(f"/notifications/{mine.id}/read")
    assert response.status_code == 302 and response.headers["Location"].endswith("/actions/mine")
    assert client.submit(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post(f"/notifications/{mine.id}/read").status_code == 400  # no CSRF token
    db.expire_all()
    assert db.get(Notification, mine.id).read_at is not None
    assert db.get(Notification, theirs.id).read_at is None


def test_mark_all_read(db: Session, login) -> None:
    w = PanelWorld(db)
    _notify(db, [w.police_member], n=3)
    client = login(w.police_member)
    assert client.submit("/notifications/read-all").status_code == 302
    unread = db.scalars(select(Notification).where(Notification.read_at.is_(None))).all()
    assert unread == []


def test_header_shows_the_unread_count(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.police_member)
    assert "unread" not in client.get("/").get_data(as_text=True)
    _notify(db, [w.police_member], n=2)
    assert "2 unread" in client.get("/").get_data(as_text=True)


def test_notification_list_and_outbox_issue_constant_queries(
    db: Session, login, count_queries
) -> None:
    w = PanelWorld(db)
    admin = make_user(db, Role.ADMIN, agency=make_agency(db))
    pages = {"/notifications": login(w.police_member), "/admin/outbox": login(admin)}
    counts: dict[str, list[int]] = {url: [] for url in pages}
    for n in (3, 30):
        _notify(db, [w.police_member], n=n)
        for url, client in pages.items():
            with count_queries() as q:
                assert client.get(url).status_code == 200
            counts[url].append(q.count)
    for url, (small, large) in counts.items():
        assert small == large, (url, counts)


def test_outbox_is_for_admins_only(db: Session, login) -> None:
    w = PanelWorld(db)
    _notify(db, [w.police_member])
    admin = make_user(db, Role.ADMIN, agency=make_agency(db))
    page = login(admin).get("/admin/outbox")
    assert page.status_code == 200
    assert w.police_member.email in page.get_data(as_text=True)
    assert login(w.coordinator).get("/admin/outbox").status_code == 403
    assert login(w.police_member).get("/admin/outbox").status_code == 403
    assert login(admin).get("/notifications").status_code == 403


def test_preferences_turn_digests_off_and_on(db: Session, login) -> None:
    w = PanelWorld(db)
    client = login(w.police_member)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "weekly digest" in page and "checked" in page
    assert client.submit("/notifications/preferences", {}).status_code == 302
    db.expire_all()
    assert db.get(NotificationPreference, w.police_member.id).digests is False
    client.submit("/notifications/preferences", {"digests": "y"})
    db.expire_all()
    assert db.get(NotificationPreference, w.police_member.id).digests is True


def test_signed_out_users_are_sent_to_sign_in(client) -> None:
    assert client.get("/notifications").status_code in (302, 401)
