"""The one search box of the Cases list: what a typed text can match, as SQL.

A coordinator types whatever they have to hand: our reference ("CM-2026-0042"), the
police crime reference, the victim's name (as another agency spelt it, or misspelt), an
address or postcode, or a perpetrator's name. `matching_referrals` is a SELECT of the ids
of referrals that match any of them; the list joins it to the viewer's need-to-know
clause (`marac.referrals.access.viewable_referrals`), so a search never finds or counts a
case the viewer could not open.

Names match three ways: the text inside the normalised name; every word's phonetic key
(`marac.people.phonetic`) among the person's keys, so "Muhammad" finds "Mohammed" and
"Kovalsky" finds "Kowalski"; and, on PostgreSQL, trigram word similarity (pg_trgm), so a
typo that changes a consonant still finds the name. Each part is a separate indexed
SELECT under one UNION, so PostgreSQL uses its GIN trigram index for each; SQLite (tests,
small installs) runs the same LIKEs without the similarity part.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal, select, union
from sqlalchemy.orm import aliased

from marac.incidents.models import Incident, Perpetrator
from marac.people.models import Person, normalise_name, normalise_postcode
from marac.people.phonetic import phonetic_key
from marac.referrals.models import Referral, ReferralIncident

MAX_QUERY = 100
# A full postcode ("AK1 2BX") or just its outward code ("AK1").
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9][A-Z]{2})?$")
# Below this a phonetic key matches too much to be a search ("Al" -> "al").
MIN_KEY = 2


def _contains(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _has_word_keys(column: Any, keys: list[str]) -> ColumnElement[bool]:
    """Every key is one of the space-separated words of `column`.

    The plain `LIKE '%key%'` uses the trigram index; the padded one, checked on the few
    rows it finds, keeps "md" from matching inside "mhmd".
    """
    padded = literal(" ") + column + literal(" ")
    return and_(
        *(column.like(f"%{k}%") for k in keys),
        *(padded.like(f"% {k} %") for k in keys),
    )


def name_conditions(person: Any, text: str, dialect: str) -> list[ColumnElement[bool]]:
    """Ways the person's name can match `text`: each its own SELECT, so each uses its index."""
    normal = normalise_name(text)
    if len(normal) < 2:
        return []
    parts: list[ColumnElement[bool]] = [person.normalised_name.like(_contains(normal))]
    keys = phonetic_key(text).split()
    if keys and all(len(k) >= MIN_KEY for k in keys):
        parts.append(_has_word_keys(person.phonetic_key, keys))
    if dialect == "postgresql" and len(normal) >= 3:
        # word_similarity(text, name) above pg_trgm.word_similarity_threshold (0.6).
        parts.append(person.normalised_name.op("%>")(normal))
    return parts


def matching_referrals(text: str, dialect: str) -> Select[Any] | None:
    """SELECT of the ids of referrals `text` finds, before need-to-know; None for no search."""
    text = " ".join(text.split())[:MAX_QUERY]
    if not text:
        return None
    pattern = _contains(text)
    selects: list[Select[Any]] = [
        select(Referral.id).where(Referral.reference.ilike(pattern)),
        select(Referral.id).where(Referral.location.ilike(pattern)),
        select(ReferralIncident.referral_id)
        .join(Incident, Incident.id == ReferralIncident.incident_id)
        .where(Incident.crime_reference.ilike(pattern)),
        select(ReferralIncident.referral_id)
        .join(Perpetrator, Perpetrator.incident_id == ReferralIncident.incident_id)
        .where(Perpetrator.name.ilike(pattern)),
    ]
    subject_parts: list[ColumnElement[bool]] = [Person.address.ilike(pattern)]
    subject_parts += name_conditions(Person, text, dialect)
    perpetrator = aliased(Person)
    for condition in name_conditions(perpetrator, text, dialect):
        selects.append(
            select(ReferralIncident.referral_id)
            .join(Perpetrator, Perpetrator.incident_id == ReferralIncident.incident_id)
            .join(perpetrator, perpetrator.id == Perpetrator.person_id)
            .where(condition)
        )
    compact = re.sub(r"\s+", "", text.upper())
    if POSTCODE.match(compact):
        postcode = normalise_postcode(compact)
        if " " in postcode and len(compact) >= 5:
            subject_parts.append(Person.postcode == postcode)
            selects.append(select(Referral.id).where(Referral.location_postcode == postcode))
        else:  # an outward code: every postcode in the district
            subject_parts.append(Person.postcode.like(f"{compact} %"))
            selects.append(
                select(Referral.id).where(Referral.location_postcode.like(f"{compact} %"))
            )
    selects += [
        select(Referral.id).join(Person, Person.id == Referral.person_id).where(condition)
        for condition in subject_parts
    ]
    return union(*selects)  # type: ignore[return-value]
