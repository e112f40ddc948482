"""The victim's views, consent and the lawful basis for sharing (DESIGN.md §3.8).

Plain rules, no Flask: the codes and their words, what a complete record says, and the
errors in the form's words. A referral may be shared with the panel with the victim's
consent, or without it on a recorded lawful basis; an automatic referral arrives with
neither, so the coordinator records them at screening before accepting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CONSENT_LABELS: dict[str, str] = {
    "given": "Given",
    "refused": "Refused",
    "not_sought": "Not sought",
}
NO_CONSENT = ("refused", "not_sought")

# The statutory bases a council's community safety partnership shares on without consent.
SAFEGUARDING = "safeguarding"
OTHER = "other"
LAWFUL_BASIS_LABELS: dict[str, str] = {
    SAFEGUARDING: "UK GDPR Article 6(1)(e) public task and Article 9(2)(g) substantial "
    "public interest, with the Data Protection Act 2018 Schedule 1 condition at "
    "paragraph 18: safeguarding of children and individuals at risk",
    OTHER: "Another lawful basis",
}
LAWFUL_BASIS_SHORT: dict[str, str] = {
    SAFEGUARDING: "UK GDPR Art 6(1)(e) and Art 9(2)(g); DPA 2018 Sch 1 para 18 (safeguarding "
    "of children and individuals at risk)",
    OTHER: "Other",
}
LIMITS: dict[str, int] = {
    "victim_views": 10000,
    "consent_reason": 5000,
    "lawful_basis": 5000,
}
NOT_RECORDED = "Not recorded yet: the MARAC coordinator records it at screening"


class HasSharingBasis(Protocol):
    """A referral, or anything shaped like one, as far as these rules read it."""

    victim_views: str
    consent: str
    consent_reason: str
    lawful_basis_code: str
    lawful_basis: str


@dataclass(frozen=True)
class SharingBasis:
    """What the coordinator (or a partner) records: views, consent and, without it, the basis.

    `lawful_basis` is the words of "another lawful basis" (or what an older record or a
    spreadsheet said, kept as it was).
    """

    victim_views: str
    consent: str
    consent_reason: str = ""
    lawful_basis_code: str = ""
    lawful_basis: str = ""


def basis_errors(basis: SharingBasis, *, views_needed: bool = True) -> dict[str, str]:
    """Each field's problem in the form's words; none when the record is complete."""
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(getattr(basis, name) or "") > limit:
            errors[name] = f"Field cannot be longer than {limit} characters."
    if views_needed and not basis.victim_views.strip() and "victim_views" not in errors:
        errors["victim_views"] = "Enter the victim's views and wishes, or why they are not known"
    if basis.consent not in CONSENT_LABELS:
        errors["consent"] = "Select whether the victim consented to sharing"
        return errors
    if basis.consent == "given":
        return errors
    if not basis.consent_reason.strip() and "consent_reason" not in errors:
        errors["consent_reason"] = (
            "Enter what the victim said when they refused"
            if basis.consent == "refused"
            else "Enter why consent was not sought"
        )
    if basis.lawful_basis_code not in LAWFUL_BASIS_LABELS:
        errors["lawful_basis_code"] = "Select the lawful basis for sharing without consent"
    elif basis.lawful_basis_code == OTHER and not basis.lawful_basis.strip():
        errors.setdefault("lawful_basis", "Enter the other lawful basis for sharing")
    return errors


def cleaned(basis: SharingBasis) -> SharingBasis:
    """The values as stored: trimmed, and no basis kept when consent was given."""
    given = basis.consent == "given"
    code = "" if given else basis.lawful_basis_code
    return SharingBasis(
        victim_views=basis.victim_views.strip(),
        consent=basis.consent,
        consent_reason=basis.consent_reason.strip(),
        lawful_basis_code=code,
        lawful_basis=basis.lawful_basis.strip() if code == OTHER else "",
    )


def is_recorded(referral: HasSharingBasis) -> bool:
    """Whether the referral says who agreed to sharing, or on what basis it is shared."""
    basis = SharingBasis(
        victim_views=referral.victim_views or "",
        consent=referral.consent or "",
        consent_reason=referral.consent_reason or "",
        lawful_basis_code=referral.lawful_basis_code or "",
        lawful_basis=referral.lawful_basis or "",
    )
    return not basis_errors(basis)


def basis_words(referral: HasSharingBasis) -> str:
    """The lawful basis as the referral page says it ("other" gives its own words)."""
    if referral.lawful_basis_code == SAFEGUARDING:
        return LAWFUL_BASIS_LABELS[SAFEGUARDING]
    if referral.lawful_basis_code == OTHER:
        return referral.lawful_basis or LAWFUL_BASIS_SHORT[OTHER]
    return referral.lawful_basis
