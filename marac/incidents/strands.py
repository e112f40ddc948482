"""The hate strands: five nationally monitored, their sub-categories, and local ones.

Local strands are configured per area (`LocalStrand`) and stored on an incident as
`local:<id>` so every strand is one code in one column, easy to count.
"""

from __future__ import annotations

from enum import StrEnum


class Strand(StrEnum):
    RACE = "race"
    RELIGION = "religion"
    SEXUAL_ORIENTATION = "sexual_orientation"
    DISABILITY = "disability"
    TRANSGENDER = "transgender"


STRAND_LABELS: dict[str, str] = {
    Strand.RACE: "Race or ethnicity",
    Strand.RELIGION: "Religion or belief",
    Strand.SEXUAL_ORIENTATION: "Sexual orientation",
    Strand.DISABILITY: "Disability",
    Strand.TRANSGENDER: "Transgender identity",
}

# Sub-categories by strand: (code, label). Codes are stored; labels can be reworded.
SUBCATEGORIES: dict[str, list[tuple[str, str]]] = {
    Strand.RACE: [
        ("gypsy_roma_traveller", "Gypsy, Roma or Traveller"),
        ("anti_black", "Anti-Black"),
        ("anti_asian", "Anti-Asian"),
        ("anti_eastern_european", "Anti-Eastern European"),
        ("anti_migrant", "Anti-migrant or asylum seeker"),
    ],
    Strand.RELIGION: [
        ("antisemitic", "Antisemitic"),
        ("anti_muslim", "Anti-Muslim"),
        ("anti_christian", "Anti-Christian"),
        ("anti_sikh", "Anti-Sikh"),
        ("anti_hindu", "Anti-Hindu"),
        ("other_religion", "Other religion or belief"),
    ],
    Strand.SEXUAL_ORIENTATION: [
        ("homophobic", "Homophobic"),
        ("biphobic", "Biphobic"),
        ("lesbophobic", "Lesbophobic"),
    ],
    Strand.DISABILITY: [
        ("learning_disability", "Learning disability"),
        ("mental_health", "Mental health"),
        ("physical_disability", "Physical disability"),
        ("sensory_impairment", "Sensory impairment"),
        ("autism", "Autism"),
    ],
    Strand.TRANSGENDER: [
        ("transphobic", "Transphobic"),
        ("non_binary", "Targeted for being non-binary"),
    ],
}

SUBCATEGORY_LABELS: dict[str, str] = {
    code: label for items in SUBCATEGORIES.values() for code, label in items
}
SUBCATEGORY_STRAND: dict[str, str] = {
    code: strand for strand, items in SUBCATEGORIES.items() for code, _ in items
}

# Seeded for each new area; admins add or retire their own.
DEFAULT_LOCAL_STRANDS = ["Alternative subcultures", "Sex or gender", "Age"]

AGGRAVATION_STRANDS = {Strand.RACE.value, Strand.RELIGION.value}


def local_code(local_strand_id: int) -> str:
    return f"local:{local_strand_id}"


def is_monitored(code: str) -> bool:
    return code in STRAND_LABELS


def aggravation_problem(aggravated: bool, strand_codes: set[str]) -> str | None:
    """A racially or religiously aggravated offence must carry a race or religion strand."""
    if aggravated and not (strand_codes & AGGRAVATION_STRANDS):
        return (
            "A racially or religiously aggravated offence must have the race or "
            "religion strand selected"
        )
    return None
