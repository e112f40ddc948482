"""A phonetic key for names, so one search finds a name however it was transliterated.

Names reach the service through many hands and alphabets: "Mohammed", "Muhammad" and
"Mohamad" are one name, as are "Kowalski" and "Kovalsky", "Aisha" and "Ayesha",
"Chaudhry" and "Choudhury". Each word of a name is reduced to its first sound and its
consonant skeleton: spellings that differ only in vowels, doubled letters, a silent
"h" or a transliteration habit ("w"/"v", "ph"/"f", "sz"/"sh") get the same key. The key
is stored on the person (`Person.phonetic_key`) so a search is an indexed LIKE.

Plain rules, no database: easy to test and to change (a change needs a backfill).
"""

from __future__ import annotations

import re
import unicodedata

# Letter groups first (longest first), then single letters. Each maps to one sound.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("sch", "x"),
    ("tch", "x"),
    ("sh", "x"),
    ("sz", "x"),
    ("ch", "x"),
    ("cz", "x"),
    ("zh", "j"),
    ("dzh", "j"),
    ("dj", "j"),
    ("ph", "f"),
    ("ck", "k"),
    ("kh", "k"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("qu", "kv"),
    ("ts", "s"),
    ("tz", "s"),
)
_LETTERS = {"w": "v", "q": "k", "c": "k", "x": "ks", "z": "s", "y": "a"}
_VOWELS = set("aeiouy")


def word_key(word: str) -> str:
    """The key of one word: its first sound (a vowel is "a") and its consonants, in order."""
    word = re.sub(r"[^a-z]", "", word)
    if not word:
        return ""
    sounds: list[str] = []
    i = 0
    while i < len(word):
        for group, sound in _GROUPS:
            if word.startswith(group, i):
                sounds.append(sound)
                i += len(group)
                break
        else:
            letter = word[i]
            sounds.append("a" if letter in _VOWELS else _LETTERS.get(letter, letter))
            i += 1
    collapsed = [s for n, s in enumerate(sounds) if n == 0 or s != sounds[n - 1]]
    key = collapsed[0]
    for n, sound in enumerate(collapsed[1:], start=1):
        following = collapsed[n + 1] if n + 1 < len(collapsed) else ""
        # Vowels go; so does an "h" that ends a syllable ("Fatimah", "Mahmood").
        if sound == "a" or (sound == "h" and following != "a"):
            continue
        key += sound
    return key


def phonetic_key(name: str) -> str:
    """The key of a whole name: one word key per word, in order, separated by spaces."""
    decomposed = unicodedata.normalize("NFKD", name.replace("'", "").replace("\u2019", ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    keys = (word_key(w) for w in re.split(r"[^a-z]+", plain))
    return " ".join(k for k in keys if k)
