"""Real services the storage, scanning and job tests talk to, started by the tests.

- clamd (Debian's clamav-daemon) with a signature database of our own that matches only
  the standard EICAR test file, so no signatures are downloaded;
- an S3 API server (moto in server mode) on a free local port;
- Redis, already running on the machine (127.0.0.1:6379).

With `CI` set a missing service fails the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("MARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# The EICAR test file (a harmless string every scanner is meant to flag), built from two
# parts so that this source file is not itself flagged by a scanner.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()
EICAR_SIGNATURE = "Marac-Test-EICAR"


def unavailable(message: str) -> None:
    """Fail under CI (a service CI must have), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check: object, seconds: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{what} did not start within {seconds} s")


def start_clamd(folder: Path) -> tuple[str, subprocess.Popen]:
    """clamd on a unix socket in `folder`, with only the test EICAR signature loaded."""
    from marac.storage.scan import ping

    clamd = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else "")
    if not clamd:
        unavailable("clamd is not installed (make scanner installs Debian's clamav-daemon)")
    signatures = folder / "signatures"
    signatures.mkdir(parents=True)
    digest = hashlib.md5(EICAR).hexdigest()  # clamd's .hdb format: md5:size:name
    (signatures / "marac-test.hdb").write_text(f"{digest}:{len(EICAR)}:{EICAR_SIGNATURE}\n")
    sock = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {signatures}\nForeground yes\n"
        f"LogFile {folder / 'clamd.log'}\nBytecode no\nStreamMaxLength 30M\n"
    )
    process = subprocess.Popen(
        [clamd, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait(lambda: sock.exists() and ping(str(sock)), 60, "clamd", process)
    return str(sock), process


def start_s3_server() -> tuple[str, subprocess.Popen]:
    """moto's S3 API server on a free port; returns its endpoint URL."""
    import requests

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(url, timeout=1).status_code < 500
        except requests.RequestException:
            return False

    _wait(answers, 60, "the S3 API server (moto)", process)
    return url, process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def new_bucket(endpoint_url: str) -> str:
    """A fresh, empty bucket on the S3 server."""
    import boto3

    name = f"marac-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint_url, region_name="eu-west-2").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    return name


def redis_answers() -> None:
    """Skip (or fail under CI) unless Redis answers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        client.close()
