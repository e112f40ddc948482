"""The optional breached-password check: a k-anonymity range query (no Flask here).

Only the first 5 hex characters of the password's SHA-1 leave the server; the
API answers with every known hash suffix under that prefix and we look for ours
locally. Padding is asked for so the answer's size says nothing either. If the
API cannot be reached the check lets the password through (and logs it): the
offline list in `passwords.py` still applies, and people can still set passwords.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request

log = logging.getLogger(__name__)

USER_AGENT = "Community-MARAC-password-check"


class RangeCheck:
    """`check(password)` is True when the API lists the password as breached."""

    def __init__(self, base_url: str, *, timeout: float = 3.0) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout

    def __call__(self, password: str) -> bool:
        digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest()
        prefix, suffix = digest[:5].upper(), digest[5:].upper()
        request = urllib.request.Request(
            self.base_url + prefix,
            headers={"Add-Padding": "true", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.warning("Breached-password check unavailable, password not checked: %s", exc)
            return False
        return suffix in _breached_suffixes(body)


def _breached_suffixes(body: str) -> set[str]:
    """Suffixes with a count above 0 (padding lines carry 0)."""
    found = set()
    for line in body.splitlines():
        hash_suffix, _, count = line.strip().partition(":")
        if count.strip().isdigit() and int(count) > 0:
            found.add(hash_suffix.upper())
    return found
