"""The worker: every capability's job handlers, and Huey's consumer that runs them.

`marac worker` runs the consumer (threads, with the periodic schedule); `make run`
starts one beside the web server. The web app imports the same handlers, so a job can
also run in-process when the queue is "immediate" (tests, one-off commands).
"""

from __future__ import annotations

import importlib

from flask import Flask

# Each capability's job handlers and periodic work (a module per capability).
JOB_MODULES: list[str] = ["marac.imports.jobs"]


def load_jobs() -> None:
    """Import every module that registers job handlers or periodic tasks."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def run_consumer(app: Flask, workers: int = 2) -> None:
    """Run Huey's consumer in this process until it is stopped (SIGINT or SIGTERM)."""
    from huey.consumer import Consumer

    from marac.jobs.queue import huey

    if huey.immediate:
        raise SystemExit("MARAC_QUEUE_URL is 'immediate': there is no queue for a worker to read")
    load_jobs()
    Consumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        scheduler_interval=1,
    ).run()
