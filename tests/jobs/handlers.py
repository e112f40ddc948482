"""Job handlers for the worker tests, imported by the test process and by the workers.

Each run appends a line to the file named in the job's params, so a test can count the
runs across processes: "start <pid> <attempt>" then "done <pid>".
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.audit import record
from marac.jobs import queue
from marac.jobs.models import Job
from marac.operations import allow, operation


def _note(path: str, line: str) -> None:
    with Path(path).open("a") as out:
        out.write(line + "\n")


@queue.job_handler("test_mark")
def mark(db: Session, job: Job, progress: queue.Progress) -> None:
    params = json.loads(job.params)
    _note(params["path"], f"start {os.getpid()} {job.attempts}")
    if job.attempts == 1 and params.get("first_sleep"):
        time.sleep(params["first_sleep"])  # long enough to be killed in
    progress(1, 1, "Marked")
    _note(params["path"], f"done {os.getpid()}")


@operation
def ask_for_mark(db: Session, actor: User, path: Path, first_sleep: float = 0) -> Job:
    """An operation as a capability writes one: checked, audited, the job after commit."""
    allow(actor.active)
    job = queue.submit(
        db,
        "test_mark",
        requested_by_id=actor.id,
        title="Marking",
        params={"path": str(path), "first_sleep": first_sleep},
    )
    record(db, "test_mark_requested", "job", job.id, "Asked for a mark", user=actor)
    return job


def runs(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []
