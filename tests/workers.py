"""Real `marac worker` processes for the job tests: started, waited on, killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from marac.config import Settings

START = "from marac.cli import main; main()"
ROOT = Path(__file__).resolve().parent.parent


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a worker needs to serve the same database, queue and store."""
    env = dict(os.environ)
    env.update(
        {
            "MARAC_ENV": "test",
            "MARAC_DATABASE_URL": settings.database_url,
            "MARAC_SECRET_KEY": settings.secret_key,
            "MARAC_QUEUE_URL": settings.queue_url,
            "MARAC_QUEUE_NAME": settings.queue_name,
            "MARAC_STORAGE_URL": settings.storage_url,
            "MARAC_S3_ENDPOINT_URL": settings.s3_endpoint_url,
            "MARAC_JOB_STALE_SECONDS": str(settings.job_stale_seconds),
            "MARAC_CLAMD_ADDRESS": settings.clamd_address,
            "MARAC_NOTIFY_BACKEND": settings.notify_backend,
            "MARAC_SMTP_HOST": settings.smtp_host,
            "MARAC_SMTP_PORT": str(settings.smtp_port),
            "MARAC_MAIL_FROM": settings.mail_from,
        }
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def start_worker(
    settings: Settings,
    log: Path,
    threads: int = 1,
    preload: tuple[str, ...] = (),
    **extra: str,
) -> subprocess.Popen:
    """Start `marac worker` in its own process group; its output goes to `log`.

    `preload` names modules imported first (test-only job handlers).
    """
    start = "".join(f"import {name}; " for name in preload) + START
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", start, "worker", "--workers", str(threads)],
            env=worker_env(settings, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )


def stop_worker(process: subprocess.Popen, *, kill: bool = False) -> None:
    """SIGTERM (Huey finishes nothing new and exits) or SIGKILL (a crash mid-job)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def stop_workers(*processes: subprocess.Popen) -> None:
    """SIGTERM several at once, then wait for each (they shut down side by side)."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        stop_worker(process)


@contextmanager
def running_worker(
    settings: Settings, log: Path, preload: tuple[str, ...] = (), **extra: str
) -> Iterator[subprocess.Popen]:
    process = start_worker(settings, log, preload=preload, **extra)
    try:
        yield process
    finally:
        stop_worker(process)


def wait_for(condition: Callable[[], object], timeout: float = 60, every: float = 0.2) -> object:
    """Poll until `condition()` is truthy; fail with a clear message after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true after {timeout} s: {condition.__doc__ or condition}")
