"""Our fields a spreadsheet column can fill, how a cell becomes a value, and one row's checks.

A field's key is the name the operations use for it (`occurred_on`, `victim.full_name`,
`perpetrators.0.name`), so the problems `incident_problems` reports land on the column
that fed them. Cells are read the way UK spreadsheets write them: dd/mm/yyyy dates or
Excel dates, yes/no, choices by their label or code, strands by label. No Flask here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from marac.imports.reading import Cell
from marac.incidents.models import (
    AGE_BAND_LABELS,
    INCIDENT_TYPE_LABELS,
    PERCEIVED_BY_LABELS,
    RECORDING_LABELS,
    RELATIONSHIP_LABELS,
    REPORTED_VIA_LABELS,
)
from marac.incidents.operations import (
    IncidentDetails,
    PerpetratorDetails,
    VictimDetails,
    incident_problems,
)
from marac.incidents.rules import parse_time
from marac.incidents.strands import STRAND_LABELS, SUBCATEGORY_LABELS
from marac.inputs import year_error
from marac.referrals.models import CONSENT_LABELS
from marac.referrals.operations import PartnerReferral, _content_errors

IGNORE = ""
DECISION_LABELS = {"accepted": "Accepted", "declined": "Declined"}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text, date, time, yesno, choice, many, strands
    group: str = "Incident"
    choices: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    hint: str = ""


FIELDS: tuple[Field, ...] = (
    Field("occurred_on", "Date of the incident", "date",
          aliases=("date", "incident date", "date of incident", "occurred", "date occurred")),
    Field("occurred_time", "Time of the incident", "time",
          aliases=("time", "incident time", "time of incident")),
    Field("online", "Online", "yesno", aliases=("online", "online incident")),
    Field("incident_type", "Type of incident", "choice", choices=INCIDENT_TYPE_LABELS,
          aliases=("type", "incident type")),
    Field("recorded_as", "Hate crime or non-crime hate incident", "choice",
          choices=RECORDING_LABELS, aliases=("recorded as", "crime or incident", "recording")),
    Field("reported_via", "How it was reported", "choice", choices=REPORTED_VIA_LABELS,
          aliases=("reported via", "reported", "how reported", "source")),
    Field("perceived_by", "Who perceived the hostility", "many", choices=PERCEIVED_BY_LABELS,
          aliases=("perceived by", "perception")),
    Field("strands", "Hate strands", "strands",
          aliases=("strand", "strands", "hate strand", "hate strands", "motivation")),
    Field("description", "What happened", "text",
          aliases=("description", "details", "what happened", "summary", "incident details")),
    Field("place", "Where it happened", "text", aliases=("place", "location", "where")),
    Field("postcode", "Postcode of where it happened", "text",
          aliases=("postcode", "incident postcode", "location postcode")),
    Field("aggravated_offence", "Racially or religiously aggravated offence", "yesno",
          aliases=("aggravated", "aggravated offence")),
    Field("crime_reference", "Crime reference", "text",
          aliases=("crime reference", "crime ref", "crime number", "police reference")),
    Field("victim.full_name", "Victim's full name", group="Victim",
          aliases=("victim", "victim name", "name", "full name", "victim full name")),
    Field("victim.date_of_birth", "Victim's date of birth", "date", group="Victim",
          aliases=("dob", "date of birth", "victim dob", "victim date of birth")),
    Field("victim.gender_identity", "Victim's gender identity", group="Victim",
          aliases=("gender", "gender identity")),
    Field("victim.address", "Victim's address", group="Victim",
          aliases=("address", "victim address", "home address")),
    Field("victim.postcode", "Victim's postcode", group="Victim",
          aliases=("victim postcode", "home postcode")),
    Field("victim.phone", "Victim's phone", group="Victim",
          aliases=("phone", "telephone", "victim phone")),
    Field("victim.communication_needs", "Victim's communication needs", group="Victim",
          aliases=("communication needs",)),
    Field("victim.interpreter_language", "Victim's interpreter language", group="Victim",
          aliases=("interpreter", "language", "interpreter language")),
    Field("perpetrators.0.known", "Perpetrator known", "yesno", group="Perpetrator",
          aliases=("perpetrator known", "suspect known"),
          hint="Blank means known when a name is given"),
    Field("perpetrators.0.name", "Perpetrator's name", group="Perpetrator",
          aliases=("perpetrator", "perpetrator name", "suspect", "suspect name")),
    Field("perpetrators.0.relationship", "Perpetrator's relationship to the victim", "choice",
          group="Perpetrator", choices=RELATIONSHIP_LABELS, aliases=("relationship",)),
    Field("perpetrators.0.age_band", "Perpetrator's age", "choice", group="Perpetrator",
          choices=AGE_BAND_LABELS, aliases=("perpetrator age", "age band", "suspect age")),
    Field("perpetrators.0.description", "Perpetrator's description", group="Perpetrator",
          aliases=("perpetrator description", "suspect description")),
    Field("perpetrators.0.date_of_birth", "Perpetrator's date of birth", "date",
          group="Perpetrator", aliases=("perpetrator dob", "perpetrator date of birth")),
    Field("referral.date", "Date referred to the MARAC", "date", group="Referral",
          aliases=("referral date", "date referred", "referred")),
    Field("referral.reasons", "Why it was referred", group="Referral",
          aliases=("referral reason", "referral reasons", "reason for referral")),
    Field("referral.consent", "Victim's consent to sharing", "choice", group="Referral",
          choices=CONSENT_LABELS, aliases=("consent",)),
    Field("referral.lawful_basis", "Lawful basis for sharing without consent", group="Referral",
          aliases=("lawful basis",)),
    Field("referral.decision", "Screening decision", "choice", group="Referral",
          choices=DECISION_LABELS, aliases=("decision", "referral decision", "outcome", "status"),
          hint="Accepted or Declined; blank leaves it waiting for screening"),
    Field("referral.decision_notes", "Why it was declined", group="Referral",
          aliases=("decision notes", "decline reason", "declined because")),
)  # fmt: skip
BY_KEY = {f.key: f for f in FIELDS}
GROUPS = ("Incident", "Victim", "Perpetrator", "Referral")

# Words some spreadsheets use for our choices, beyond their labels and codes.
ALIASES: dict[str, dict[str, str]] = {
    "recorded_as": {"crime": "crime", "hate crime": "crime", "nchi": "non_crime",
                    "non crime": "non_crime", "incident": "non_crime"},
    "perceived_by": {"victim": "victim", "witness": "witness", "police": "officer",
                     "officer": "officer", "staff": "officer"},
    "referral.decision": {"accept": "accepted", "decline": "declined", "rejected": "declined"},
}  # fmt: skip
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}
EXCEL_EPOCH = date(1899, 12, 30)
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y",
                "%d %b %Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")  # fmt: skip


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def guess_mapping(headers: list[str]) -> dict[int, str]:
    """Column index -> field key, from header names; each field is guessed once at most."""
    names: dict[str, str] = {}
    for f in FIELDS:
        for name in (f.label, f.key.split(".")[-1].replace("_", " "), *f.aliases):
            names.setdefault(_norm(name), f.key)
    # Exact names first ("Victim postcode" before a bare "Postcode").
    guessed: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = names.get(_norm(header))
        if key and key not in guessed.values():
            guessed[index] = key
    return guessed


class CellError(ValueError):
    """A cell that cannot be read as its field's kind; the message is for the preview."""


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    return " ".join(str(cell).split()) if "\n" not in str(cell) else str(cell).strip()


def parse_date(cell: Cell) -> date | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 1 <= cell < 2958466:  # an Excel serial day number
            return EXCEL_EPOCH + timedelta(days=int(cell))
        raise CellError(f"{_text(cell)} is not a date")
    text = _text(cell)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"“{text[:40]}” is not a real date: use day/month/year, like 25/12/2024")


def parse_clock(cell: Cell) -> time | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.time().replace(second=0, microsecond=0)
    if isinstance(cell, time):
        return cell.replace(second=0, microsecond=0)
    if isinstance(cell, float) and 0 <= cell < 1:  # Excel's fraction of a day
        minutes = round(cell * 24 * 60)
        return time(min(minutes // 60, 23), minutes % 60)
    text = _text(cell)
    found = parse_time(text[:5] if re.match(r"^\d{1,2}:\d{2}:\d{2}$", text) else text)
    if found is None:
        raise CellError(f"“{text[:40]}” is not a time: use the 24-hour clock, like 14:30")
    return found


def parse_yes_no(cell: Cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    text = _norm(_text(cell))
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(f"“{_text(cell)[:40]}” is not yes or no")


def _choice_names(key: str, choices: dict[str, str]) -> dict[str, str]:
    names = {_norm(code): code for code in choices}
    names.update({_norm(label): code for code, label in choices.items()})
    names.update({_norm(k): v for k, v in ALIASES.get(key, {}).items()})
    return names


def parse_choice(key: str, cell: Cell) -> str:
    text = _text(cell)
    if not text:
        return ""
    f = BY_KEY[key]
    code = _choice_names(key, f.choices).get(_norm(text))
    if code is None:
        allowed = ", ".join(f.choices.values())
        raise CellError(f"“{text[:40]}” is not one of: {allowed}")
    return code


def _pieces(text: str, names: dict[str, str]) -> tuple[list[str], list[str]]:
    """Known names found in a list cell (longest first, commas inside labels are fine),
    and the leftover pieces."""
    rest = f" {_norm(text)} "
    found: list[tuple[int, str]] = []
    for name in sorted(names, key=len, reverse=True):
        if f" {name} " in rest:
            found.append((rest.index(f" {name} "), names[name]))
            rest = rest.replace(f" {name} ", " | " + " " * (len(name) - 1))
    raw = [p.strip() for p in re.split(r"[|,;/\n]+", rest) if p.strip()]
    return [code for _at, code in sorted(found)], [p for p in raw if p not in {"and", "or"}]


def parse_many(key: str, cell: Cell) -> tuple[str, ...]:
    found, rest = _pieces(_text(cell), _choice_names(key, BY_KEY[key].choices))
    if rest:
        allowed = ", ".join(BY_KEY[key].choices.values())
        raise CellError(f"“{rest[0][:40]}” is not one of: {allowed}")
    return tuple(dict.fromkeys(found))


def parse_strands(cell: Cell) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(strands, sub-categories, local strand names) from a strands cell.

    A national strand is matched by its label, code or first word ("Race"); a
    sub-category by its label; anything else is taken as a local strand's name, which
    the row's area must have (checked with the area, as the incident page does).
    """
    names: dict[str, str] = {}
    for code, label in STRAND_LABELS.items():
        for name in (code, label, label.split()[0], code.replace("_", " ")):
            names[_norm(name)] = f"s:{code}"
    for code, label in SUBCATEGORY_LABELS.items():
        names[_norm(label)] = f"c:{code}"
        names[_norm(code)] = f"c:{code}"
    text = _text(cell)
    found, rest = _pieces(text, names)
    strands = tuple(dict.fromkeys(v[2:] for v in found if v.startswith("s:")))
    subs = tuple(dict.fromkeys(v[2:] for v in found if v.startswith("c:")))
    # Local names keep the spelling of the cell for the area's own strand list.
    local = tuple(dict.fromkeys(_original_piece(text, piece) for piece in rest))
    return strands, subs, local


def _original_piece(text: str, piece: str) -> str:
    for part in re.split(r"[|,;/\n]+", text):
        if _norm(part) == piece:
            return part.strip()
    return piece


@dataclass(frozen=True)
class ReferralRow:
    """A historic referral outcome on the row: made with `refer_case`, then screened."""

    day: date
    reasons: str
    consent: str
    lawful_basis: str
    decision: str  # "", "accepted" or "declined"
    decision_notes: str


@dataclass
class ParsedRow:
    number: int  # the spreadsheet's row number (the header is row 1)
    details: IncidentDetails
    referral: ReferralRow | None
    errors: dict[str, str]
    fingerprint: str
    postcode: str  # where the row is placed: the incident's postcode, else the victim's


def _value(kind: str, key: str, cell: Cell) -> Any:
    if kind == "date":
        return parse_date(cell)
    if kind == "time":
        return parse_clock(cell)
    if kind == "yesno":
        return parse_yes_no(cell)
    if kind == "choice":
        return parse_choice(key, cell)
    if kind == "many":
        return parse_many(key, cell)
    if kind == "strands":
        return parse_strands(cell)
    return _text(cell)


def fingerprint(values: dict[str, Any]) -> str:
    """SHA-256 of the row's mapped values, normalised: the same row from any file (or a
    second upload) has the same fingerprint, whatever its column order or spacing."""
    canonical = {
        key: (_norm(value) if isinstance(value, str) else _canon(value))
        for key, value in sorted(values.items())
        if value not in (None, "", ())
    }
    text = json.dumps(canonical, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canon(value: Any) -> Any:
    if isinstance(value, tuple):
        return (
            sorted(_canon(v) for v in value)
            if value and not isinstance(value[0], tuple)
            else [sorted(v) for v in value]
        )
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def parse_row(number: int, cells: list[Cell], mapping: dict[int, str], now: datetime) -> ParsedRow:
    """One row through the mapping: its incident (and referral), and every problem with it,
    checked by the rules the incident and referral operations apply."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    date_cell: Cell = None
    for index, key in mapping.items():
        if key == IGNORE or key not in BY_KEY or index >= len(cells):
            continue
        f = BY_KEY[key]
        if key == "occurred_on":
            date_cell = cells[index]
        try:
            values[key] = _value(f.kind, key, cells[index])
        except CellError as error:
            errors[key] = str(error)
    if (
        values.get("occurred_time") is None
        and "occurred_time" not in errors
        and isinstance(date_cell, datetime)
        and date_cell.time() != time(0, 0)
    ):
        values["occurred_time"] = parse_clock(date_cell)  # a date cell with its time in it

    def text(key: str) -> str:
        return values.get(key) or ""

    strands, subs, local = values.get("strands") or ((), (), ())
    victim = VictimDetails(
        full_name=text("victim.full_name"),
        date_of_birth=values.get("victim.date_of_birth"),
        gender_identity=text("victim.gender_identity"),
        address=text("victim.address"),
        postcode=text("victim.postcode"),
        phone=text("victim.phone"),
        communication_needs=text("victim.communication_needs"),
        interpreter_language=text("victim.interpreter_language"),
    )
    name = text("perpetrators.0.name")
    known = values.get("perpetrators.0.known")
    perpetrator = PerpetratorDetails(
        known=True if known is None and name else known,
        name=name,
        relationship=text("perpetrators.0.relationship"),
        age_band=text("perpetrators.0.age_band") or "unknown",
        description=text("perpetrators.0.description"),
        date_of_birth=values.get("perpetrators.0.date_of_birth"),
    )
    details = IncidentDetails(
        occurred_on=values.get("occurred_on"),
        occurred_time=values.get("occurred_time"),
        online=bool(values.get("online")),
        incident_type=text("incident_type"),
        recorded_as=text("recorded_as"),
        reported_via=text("reported_via"),
        perceived_by=values.get("perceived_by") or (),
        description=text("description"),
        place=text("place"),
        postcode=text("postcode"),
        aggravated_offence=values.get("aggravated_offence"),
        crime_reference=text("crime_reference"),
        strands=strands,
        subcategories=subs,
        local_strands=local,
        victim=victim,
        perpetrators=() if perpetrator.is_blank else (perpetrator,),
    )
    for key, message in incident_problems(details, now, new_victim=True).items():
        errors.setdefault(_field_of(key), message)
    referral = _referral(values, errors, now)
    return ParsedRow(
        number=number,
        details=details,
        referral=referral,
        errors=errors,
        fingerprint=fingerprint(values),
        postcode=details.postcode or victim.postcode,
    )


def _field_of(problem_key: str) -> str:
    """The import field an operation's problem is about (the operation's own name)."""
    if problem_key in BY_KEY:
        return problem_key
    if problem_key in {"local_strands"}:
        return "strands"
    if problem_key.startswith("perpetrators.") and problem_key.count(".") == 1:
        return "perpetrators.0.name"
    return problem_key


def _referral(values: dict[str, Any], errors: dict[str, str], now: datetime) -> ReferralRow | None:
    keys = [f.key for f in FIELDS if f.group == "Referral"]
    if not any(values.get(k) not in (None, "") for k in keys):
        return None
    day = values.get("referral.date")
    if day is None:
        errors.setdefault("referral.date", "Enter the date of the referral")
        return None
    problem = year_error(day.year, "Date of the referral")
    if problem:
        errors.setdefault("referral.date", problem)
    elif day > now.date():
        errors.setdefault("referral.date", "The date of the referral must be today or in the past")
    row = ReferralRow(
        day=day,
        reasons=values.get("referral.reasons") or "",
        consent=values.get("referral.consent") or "",
        lawful_basis=values.get("referral.lawful_basis") or "",
        decision=values.get("referral.decision") or "",
        decision_notes=values.get("referral.decision_notes") or "",
    )
    problems, _postcode = _content_errors(partner_referral(row, incident_id=0))
    for key, message in problems.items():
        errors.setdefault(f"referral.{key}", message)
    if row.decision == "declined" and not row.decision_notes.strip():
        errors.setdefault("referral.decision_notes", "Enter why the referral was declined")
    return row


def partner_referral(row: ReferralRow, incident_id: int) -> PartnerReferral:
    return PartnerReferral(
        subject_type="victim",
        incident_ids=[incident_id],
        reasons=row.reasons,
        consent=row.consent,
        lawful_basis=row.lawful_basis,
    )


def label_of(key: str) -> str:
    if key == "row":
        return "The whole row"
    f = BY_KEY.get(key)
    if f is not None:
        return f.label
    return key.replace("referral.", "Referral: ").replace("_", " ").capitalize()


def mapping_from(raw: dict[str, str], width: int) -> dict[int, str]:
    """A stored or submitted mapping, cleaned: known fields only, each field once."""
    clean: dict[int, str] = {}
    for index_text, key in raw.items():
        if not str(index_text).isdigit():
            continue
        index = int(index_text)
        if index < width and key in BY_KEY and key not in clean.values():
            clean[index] = key
    return clean


def duplicate_fields(chosen: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    twice = []
    for key in chosen:
        if key and key in seen:
            twice.append(key)
        seen.add(key)
    return twice


# What every incident needs: a column must fill each (the victim's postcode, or the
# incident's, places the row in an area).
REQUIRED = (
    "occurred_on",
    "occurred_time",
    "incident_type",
    "recorded_as",
    "reported_via",
    "perceived_by",
    "strands",
    "description",
    "victim.full_name",
)


def sample(cell: Cell) -> str:
    """A cell as the mapping page shows it: short text."""
    if isinstance(cell, datetime):
        return (
            cell.strftime("%d/%m/%Y %H:%M")
            if cell.time() != time(0, 0)
            else cell.strftime("%d/%m/%Y")
        )
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    text = _text(cell)
    return text if len(text) <= 60 else text[:57] + "..."
