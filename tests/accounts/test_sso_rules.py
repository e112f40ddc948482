"""The single sign-on rules on their own: issuer, domains, MFA, claims, secret encryption."""

from __future__ import annotations

from typing import Any

import pytest

from marac.accounts.sso_rules import (
    SecretBox,
    SecretUnreadable,
    claims_problem,
    email_domain,
    issuer_problem,
    mfa_asserted,
    parse_domains,
)


@pytest.mark.parametrize(
    ("issuer", "production", "ok"),
    [
        ("https://login.microsoftonline.com/abc/v2.0", True, True),
        ("http://127.0.0.1:5001", False, True),
        ("http://localhost:5001", False, True),
        ("http://[::1]:5001", False, True),
        ("http://127.0.0.1:5001", True, False),  # never http in production
        ("http://login.example.com", False, False),
        ("ftp://login.example.com", False, False),
        ("https://user:pw@login.example.com", True, False),
        ("https://login.example.com#x", True, False),
    ],
)
def test_issuer_rules(issuer: str, production: bool, ok: bool) -> None:
    assert (issuer_problem(issuer, production=production) is None) is ok


def test_domains_are_normalised_and_bad_ones_reported() -> None:
    assert parse_domains("A.example, @b.example\nA.example") == (["a.example", "b.example"], [])
    assert parse_domains("a.example nope x@y.example") == (["a.example"], ["nope", "x@y.example"])
    assert email_domain("Ada@Police.Example") == "police.example"
    assert email_domain("@police.example") == "" and email_domain("police") == ""


@pytest.mark.parametrize(
    ("claims", "trust", "acr_values", "expected"),
    [
        ({"amr": ["pwd", "mfa"]}, True, [], True),
        ({"amr": ["pwd", "mfa"]}, False, [], False),
        ({"amr": ["pwd"]}, True, [], False),
        ({"amr": "mfa"}, True, [], True),
        ({"acr": "urn:mfa"}, True, ["urn:mfa"], True),
        ({"acr": "urn:pwd"}, True, ["urn:mfa"], False),
        ({"acr": ""}, True, [""], False),
        ({}, True, [], False),
    ],
)
def test_mfa_asserted(
    claims: dict[str, Any], trust: bool, acr_values: list[str], expected: bool
) -> None:
    assert mfa_asserted(claims, trust_mfa=trust, acr_values=acr_values) is expected


@pytest.mark.parametrize(
    ("claims", "action"),
    [
        ({"sub": "1", "email": "a@p.example"}, None),
        ({"sub": "1", "email": "a@p.example", "email_verified": True, "tid": "t"}, None),
        ({"sub": "1"}, "sso_refused_no_email"),
        ({"sub": "1", "email": "a@p.example", "email_verified": False}, "sso_refused_unverified"),
        ({"sub": "1", "email": "a@other.example"}, "sso_refused_domain"),
        ({"sub": "", "email": "a@p.example"}, "sso_refused_no_subject"),
    ],
)
def test_claims_problem(claims: dict[str, Any], action: str | None) -> None:
    problem = claims_problem(claims, domains=["p.example"], tenant_id="")
    assert (problem[0] if problem else None) == action


def test_tenant_must_match_when_configured() -> None:
    claims = {"sub": "1", "email": "a@p.example", "tid": "other"}
    assert claims_problem(claims, domains=["p.example"], tenant_id="ours") is not None
    assert (
        claims_problem({**claims, "tid": "ours"}, domains=["p.example"], tenant_id="ours") is None
    )


def test_secret_box_round_trip_and_wrong_key() -> None:
    token = SecretBox("key one that is long enough").encrypt("s3cret")
    assert "s3cret" not in token
    assert SecretBox("key one that is long enough").decrypt(token) == "s3cret"
    with pytest.raises(SecretUnreadable):
        SecretBox("another key entirely").decrypt(token)
