"""The disposal job and the listing in a real `marac worker` process (JOB_MODULES)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from marac import create_app
from marac.db import utcnow
from marac.jobs.models import Job
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.retention import operations
from marac.retention.models import DisposalLog
from marac.retention.queries import today_uk
from tests.conftest import settings_for
from tests.retention.helpers import RetentionBorough
from tests.workers import running_worker, wait_for


def test_a_worker_disposes_of_the_listed_cases(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(
        database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}", queue_name="retention-worker"
    )
    app = create_app(settings)
    with app.app_context():
        db = app.extensions["marac_db"].sessionmaker()
        world = RetentionBorough(db)
        document = world.add_document(db, world.officer)
        key = document.storage_key
        operations.set_periods(db, world.admin, {"closed_referral": 6})
        operations.list_due(db, today_uk(utcnow()))
        job = operations.request_disposal(
            db, world.governance, "closed_referral", today_uk(utcnow())
        )
        job_id = job.id
        assert db.get(Job, job_id).status == "queued"  # type: ignore[union-attr]

        def finished() -> bool:
            """the disposal job is done"""
            row = db.get(Job, job_id, populate_existing=True)
            return row is not None and row.status in ("done", "failed")

        with running_worker(settings, tmp_path / "worker.log"):
            wait_for(finished, timeout=90)
        row = db.get(Job, job_id, populate_existing=True)
        assert row is not None and row.status == "done", row and row.error
        assert (row.done_count, row.total_count) == (2, 2)
        victim = db.get(Person, world.victim.id, populate_existing=True)
        assert victim is not None and victim.full_name == "Removed"
        r1 = db.get(Referral, world.r1.id, populate_existing=True)
        assert r1 is not None and r1.reasons == "" and r1.status == "closed"
        log = db.scalars(select(DisposalLog)).one()
        assert (log.count, log.people_anonymised, log.documents_deleted) == (2, 1, 1)
        assert not (Path(settings.storage_url.removeprefix("file://")) / key).exists()
        assert utcnow() - log.disposed_at < timedelta(minutes=5)
        db.close()
    app.extensions["marac_db"].engine.dispose()
