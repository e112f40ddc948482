"""The worker: every capability's job handlers, and Huey's consumer that runs them.

`marac worker` runs the consumer (threads, with the periodic schedule); `make run`
starts one beside the web server. The web app imports the same handlers, so a job can
also run in-process when the queue is "immediate" (tests, one-off commands).
"""

from __future__ import annotations

import importlib
import logging
import sys

from flask import Flask

# Each capability's job handlers and periodic work (a module per capability).
JOB_MODULES: list[str] = [
    "marac.notify.jobs",
    "marac.actions.jobs",
    "marac.minutes.jobs",
    "marac.reports.jobs",
    "marac.attachments.jobs",
    "marac.imports.jobs",
    "marac.panels.jobs",
    "marac.retention.jobs",
    "marac.governance.jobs",
]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def load_jobs() -> None:
    """Import every module that registers job handlers or periodic tasks."""
    for name in JOB_MODULES:
        importlib.import_module(name)


class _NoPeriodicChatter(logging.Filter):
    """Huey announces every periodic task it enqueues (several a minute): not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Enqueueing periodic task")


def configure_logging(level: int = logging.INFO) -> None:
    """One line per job started and finished (ours), Huey's start-up and warnings.

    Huey's own per-task lines ("Executing ...", "... executed in") would double ours.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_NoPeriodicChatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("marac", "huey.consumer"):
        logging.getLogger(name).setLevel(level)
    logging.getLogger("huey").setLevel(logging.WARNING)


def run_consumer(app: Flask, workers: int = 2) -> None:
    """Run Huey's consumer in this process until it is stopped.

    SIGINT (Ctrl+C) lets running jobs finish; SIGTERM stops at once (a job cut short is
    swept and run again once its heartbeat is stale).
    """
    from huey.consumer import Consumer

    from marac.jobs.queue import huey

    if huey.immediate:
        raise SystemExit("MARAC_QUEUE_URL is 'immediate': there is no queue for a worker to read")
    configure_logging()
    load_jobs()
    Consumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        scheduler_interval=1,
        # SQLite storage is polled: idle threads look again at least every second.
        max_delay=1.0,
    ).run()
