"""Virus scanning with ClamAV's daemon (clamd), over its INSTREAM command.

The bytes are streamed to clamd; nothing is written to a shared folder. `scan` says
clean or names the signature; a daemon that cannot be reached raises
`ScannerUnavailable`, and the caller keeps the file quarantined (never "clean by
default") and tries again later.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 60


class ScannerUnavailable(Exception):
    """clamd is not configured, not running, or answered something we do not understand."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # the virus's name when not clean


def _connect(address: str) -> socket.socket:
    if not address:
        raise ScannerUnavailable("no virus scanner is configured (MARAC_CLAMD_ADDRESS)")
    try:
        if address.startswith("tcp://"):
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            return socket.create_connection((host, int(port)), timeout=TIMEOUT_SECONDS)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT_SECONDS)
        sock.connect(address)
        return sock
    except (OSError, ValueError) as exc:
        raise ScannerUnavailable(f"clamd at {address} did not answer: {exc}") from exc


def scan(address: str, data: bytes) -> ScanResult:
    """Ask clamd at `address` (a unix socket path or tcp://host:port) about `data`."""
    with _connect(address) as sock:
        try:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
        except OSError as exc:
            raise ScannerUnavailable(f"clamd stopped answering: {exc}") from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer.endswith(" OK"):
        return ScanResult(clean=True)
    if answer.endswith(" FOUND"):
        signature = answer.removeprefix("stream:").removesuffix("FOUND").strip()
        return ScanResult(clean=False, signature=signature)
    raise ScannerUnavailable(f"clamd answered {answer!r}")


def ping(address: str) -> bool:
    """True when clamd answers PING (the health check and the test fixture use it)."""
    try:
        with _connect(address) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).rstrip(b"\0") == b"PONG"
    except (ScannerUnavailable, OSError):
        return False
