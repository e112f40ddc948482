"""The import job in a real `marac worker` process: JOB_MODULES registers it there."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from marac import create_app
from marac.imports.models import ImportBatch
from marac.imports.operations import start_import, upload_file
from marac.incidents.models import Incident
from marac.jobs.models import Job
from tests.conftest import settings_for
from tests.imports.helpers import coordinator_world, csv_bytes
from tests.workers import running_worker, wait_for


def test_a_worker_imports_the_rows(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(
        database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}", queue_name="imports-worker"
    )
    app = create_app(settings)
    with app.app_context():
        db = app.extensions["marac_db"].sessionmaker()
        coordinator, _other = coordinator_world(db)
        batch = upload_file(db, coordinator, filename="h.csv", data=csv_bytes(), max_bytes=10**6)
        job = start_import(db, coordinator, batch.id, ready=2, result_link="/imports")
        job_id, batch_id = job.id, batch.id
        assert db.get(Job, job_id).status == "queued"  # type: ignore[union-attr]

        def finished() -> bool:
            """the import job is done"""
            row = db.get(Job, job_id, populate_existing=True)
            return row is not None and row.status == "done"

        with running_worker(settings, tmp_path / "worker.log"):
            wait_for(finished, timeout=60)
        assert db.scalar(select(func.count(Incident.id))) == 2
        done = db.get(ImportBatch, batch_id, populate_existing=True)
        assert done is not None and (done.status, done.imported_count) == ("imported", 2)
        db.close()
    app.extensions["marac_db"].engine.dispose()
