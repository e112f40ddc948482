"""Single sign-on rules with no Flask: settings checks, claim checks, secret encryption.

The views (`sso.py`) run the OpenID Connect flow; everything they decide is here so it
can be read, and tested, on its own.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
LOOPBACK_NAMES = {"localhost"}


class SecretUnreadable(Exception):
    """A stored client secret cannot be decrypted (the key changed): enter it again."""


class SecretBox:
    """Encrypts client secrets with Fernet under a key derived from the configured key.

    HKDF with a fixed purpose label means the session-signing key itself never
    encrypts anything, and a separate `MARAC_SSO_KEY` can replace it.
    """

    def __init__(self, key_material: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"community-marac sso client secret",
        ).derive(key_material.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise SecretUnreadable from exc


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def issuer_problem(issuer: str, *, production: bool) -> str | None:
    """Why `issuer` is not acceptable, or None: https, or http on loopback outside production."""
    parts = urlsplit(issuer)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "Enter the issuer as a web address, like https://login.example.com/tenant/v2.0"
    if parts.query or parts.fragment:
        return "The issuer cannot contain a query (?) or a fragment (#)"
    if parts.username or parts.password:
        return "The issuer cannot contain a user name or password"
    if parts.scheme == "http":
        if production:
            return "The issuer must start with https://"
        if not is_loopback(parts.hostname):
            return "The issuer must start with https:// (http is allowed only for 127.0.0.1)"
    return None


def normalise_issuer(issuer: str) -> str:
    return issuer.strip().rstrip("/")


def discovery_url(issuer: str) -> str:
    return f"{normalise_issuer(issuer)}/.well-known/openid-configuration"


def parse_domains(text: str) -> tuple[list[str], list[str]]:
    """Split on commas, spaces or lines; return (domains, the entries that are not domains)."""
    entries = [e.strip().lower().lstrip("@") for e in re.split(r"[\s,;]+", text or "")]
    seen: list[str] = []
    bad: list[str] = []
    for entry in entries:
        if not entry:
            continue
        if not DOMAIN.match(entry):
            bad.append(entry)
        elif entry not in seen:
            seen.append(entry)
    return seen, bad


def email_domain(email: str) -> str:
    """The part after the last @, lower case; empty when there is none."""
    local, at, domain = (email or "").strip().rpartition("@")
    return domain.lower() if at and local else ""


def mfa_asserted(claims: Mapping[str, Any], *, trust_mfa: bool, acr_values: Iterable[str]) -> bool:
    """True when a trusted provider says the person used more than one factor."""
    if not trust_mfa:
        return False
    amr = claims.get("amr")
    if isinstance(amr, str):
        amr = amr.split()
    if isinstance(amr, list) and "mfa" in amr:
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and bool(acr) and acr in set(acr_values)


def claims_problem(
    claims: Mapping[str, Any], *, domains: Iterable[str], tenant_id: str
) -> tuple[str, str] | None:
    """(audit action, reason) when a valid ID token still may not sign in; None when it may."""
    email = claims.get("email")
    if not isinstance(email, str) or not email_domain(email):
        return "sso_refused_no_email", "The provider did not give a work email address"
    if claims.get("email_verified") is False:
        return "sso_refused_unverified", "The provider has not verified the email address"
    if email_domain(email) not in set(domains):
        return "sso_refused_domain", f"Email domain {email_domain(email)} is not allowed"
    if tenant_id and claims.get("tid") != tenant_id:
        return "sso_refused_tenant", "The account belongs to another organisation's directory"
    if not isinstance(claims.get("sub"), str) or not claims.get("sub"):
        return "sso_refused_no_subject", "The provider did not identify the account"
    return None
