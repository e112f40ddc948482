"""A person known to the service: usually a victim, sometimes a named perpetrator."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marac.db import Base, UTCDateTime, trigram_indexes, utcnow
from marac.people.phonetic import phonetic_key


def normalise_name(name: str) -> str:
    """Lower case, no accents, punctuation or extra spaces: the key for exact matching."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = re.sub(r"[^a-z0-9 ]+", " ", plain.replace("'", "").replace("\u2019", ""))
    return " ".join(plain.split())


def normalise_postcode(postcode: str | None) -> str:
    """Upper case with one space before the inward code: "ak1 2bx" -> "AK1 2BX"."""
    compact = re.sub(r"\s+", "", (postcode or "").upper())
    if len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def postcode_district(postcode: str | None) -> str:
    """The outward code, used to place a case in an area: "AK1 2BX" -> "AK1"."""
    normal = normalise_postcode(postcode)
    return normal.split(" ")[0] if normal else ""


class Person(Base):
    """A victim (or named perpetrator). Identity fields are what matching uses."""

    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_match", "normalised_name", "date_of_birth"),
        # Fuzzy candidates are narrowed to the same date of birth before scoring.
        Index("ix_person_dob", "date_of_birth"),
        # The Cases search (marac.cases.search): trigram indexes for LIKE on PostgreSQL.
        *trigram_indexes("person", "normalised_name", "phonetic_key", "address", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    normalised_name: Mapped[str] = mapped_column(String(200))
    # marac.people.phonetic: "Mohammed" and "Muhammad" share one; set with the name.
    phonetic_key: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender_identity: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="", index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    safe_contact_notes: Mapped[str] = mapped_column(Text, default="")
    communication_needs: Mapped[str] = mapped_column(Text, default="")
    interpreter_language: Mapped[str] = mapped_column(String(80), default="")
    disability_adjustments: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    def set_identity(self, full_name: str, postcode: str | None) -> None:
        self.full_name = " ".join(full_name.split())
        self.normalised_name = normalise_name(full_name)
        self.phonetic_key = phonetic_key(full_name)
        self.postcode = normalise_postcode(postcode)

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class RepeatSettings(Base):
    """Per-area definitions of the repeat flags (defaults from issue 5 and SafeLives).

    The flag of a referral uses the settings of the referral's area; a referral with no
    area uses the defaults.
    """

    __tablename__ = "repeat_settings"

    area_id: Mapped[int] = mapped_column(
        ForeignKey("area.id", ondelete="CASCADE"), primary_key=True
    )
    referral_window_days: Mapped[int] = mapped_column(Integer, default=365)
    victim_incidents: Mapped[int] = mapped_column(Integer, default=2)
    victim_window_days: Mapped[int] = mapped_column(Integer, default=365)
    targeted_incidents: Mapped[int] = mapped_column(Integer, default=3)
    targeted_window_days: Mapped[int] = mapped_column(Integer, default=183)
    perpetrator_victims: Mapped[int] = mapped_column(Integer, default=2)
    perpetrator_referrals: Mapped[int] = mapped_column(Integer, default=2)
    location_incidents: Mapped[int] = mapped_column(Integer, default=3)
    location_window_days: Mapped[int] = mapped_column(Integer, default=365)


class DuplicateDismissal(Base):
    """A coordinator's decision that two similar records are not the same person.

    Stored with the lower id first, so a pair is dismissed once whichever way round.
    """

    __tablename__ = "duplicate_dismissal"
    __table_args__ = (CheckConstraint("person_a_id < person_b_id", name="ordered_pair"),)

    person_a_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    person_b_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class PersonMerge(Base):
    """Who merged which two records and why: the reason is case text, so it lives here,
    read on the person's page by those who may see it, not in the audit log.

    The ids are plain numbers, not foreign keys: the duplicate is deleted by the merge
    and the survivor may itself be merged away later.
    """

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_person_id: Mapped[int] = mapped_column(Integer, index=True)
    duplicate_person_id: Mapped[int] = mapped_column(Integer)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)


class PossibleMatch(Base):
    """A similar record found at intake that the person entering could not see.

    They were told only that a coordinator will check; the pair waits on the coordinator's
    likely-duplicates list until it is merged or dismissed. Lower id first, as a dismissal.
    """

    __tablename__ = "possible_match"
    __table_args__ = (CheckConstraint("person_a_id < person_b_id", name="ordered_pair"),)

    person_a_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    person_b_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(80), default="")
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
