"""The phonetic key: one key for a name however it was transliterated, distinct otherwise."""

from __future__ import annotations

import pytest

from marac.people.models import Person
from marac.people.phonetic import phonetic_key, word_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Mohammed", "Muhammad"),
        ("Mohamad", "Muhammed"),
        ("Kowalski", "Kovalsky"),
        ("Aisha", "Ayesha"),
        ("Chaudhry", "Choudhury"),
        ("Yusuf", "Yousef"),
        ("Zainab", "Zaynab"),
        ("Fatimah", "Fatima"),
        ("Amira Haddad", "Amria Hadad"),  # a typo in the vowels, a missing double letter
        ("Zoë O'Brien", "zoe obrien"),  # accents, apostrophes and case
        ("Philips", "Filips"),
        ("Szymański", "Shimanski"),
    ],
)
def test_transliterations_share_a_key(one: str, other: str) -> None:
    assert phonetic_key(one) == phonetic_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Mohammed", "Mahmood"),
        ("Kowalski", "Kowalczyk"),
        ("Grace", "Olivia"),
        ("Haddad", "Hadid Khan"),
    ],
)
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert phonetic_key(one) != phonetic_key(other)


def test_a_key_per_word_in_order_and_nothing_for_no_letters() -> None:
    assert phonetic_key("Amira  Haddad") == f"{word_key('amira')} {word_key('haddad')}"
    assert phonetic_key("") == "" and phonetic_key("123 -") == ""


def test_setting_a_persons_name_sets_their_key() -> None:
    person = Person()
    person.set_identity("Muhammad Kovalsky", "ak1 2bx")
    assert person.phonetic_key == phonetic_key("Mohammed Kowalski")
