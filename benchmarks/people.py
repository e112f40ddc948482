"""Benchmark of matching on intake (issue 5): not a test, a measurement.

Builds a throwaway database (SQLite file, and a new PostgreSQL database when one
answers), migrates it, bulk-inserts 100,000 people, then times

* an exact match: the indexed lookup on normalised name and date of birth;
* a fuzzy candidate search: `find_matches` for a misspelt name (SQL narrowing by date of
  birth / postcode, then rapidfuzz scoring of the handful found).

Run:  .venv/bin/python -m benchmarks.people [--people 100000] [--runs 200]
      [--sqlite-only] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The throwaway databases are removed afterwards. Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from marac import migrate
from marac.db import create_postgres_database, drop_postgres_database, make_engine, utcnow
from marac.people.matching import find_matches
from marac.people.models import Person, normalise_name, normalise_postcode
from marac.repeats.merge import likely_duplicates

FORENAMES = [
    "Amira",
    "Grace",
    "Tomasz",
    "Aisha",
    "Mohammed",
    "Olivia",
    "Jack",
    "Priya",
    "Kwame",
    "Fatima",
    "Liam",
    "Chloe",
    "Yusuf",
    "Ewa",
    "Daniel",
    "Sofia",
    "Adam",
    "Leah",
    "Imran",
    "Hannah",
    "Omar",
    "Emily",
    "Bartosz",
    "Zainab",
    "Ryan",
    "Maya",
    "Ahmed",
    "Ruth",
    "Samuel",
    "Noor",
    "Kasia",
    "Joseph",
    "Ayesha",
    "Lewis",
    "Mei",
    "Kofi",
    "Isla",
    "Hassan",
    "Nia",
    "Dylan",
]
SURNAMES = [
    "Haddad",
    "Okafor",
    "Nowak",
    "Khan",
    "Smith",
    "Jones",
    "Patel",
    "Mensah",
    "Ali",
    "Williams",
    "Brown",
    "Taylor",
    "Hussain",
    "Kowalski",
    "Begum",
    "Wilson",
    "Evans",
    "Thomas",
    "Roberts",
    "Ahmed",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Clarke",
    "Clark",
    "Turner",
    "Hill",
    "Scott",
    "Cooper",
    "Morris",
    "Ward",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "Harrison",
    "Morgan",
    "Patel",
    "Young",
    "Allen",
    "Mitchell",
]

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _people(count: int, seed: int = 5) -> list[dict[str, object]]:
    """`count` fictional people: names, dates of birth 1940-2008, ~5,000 postcodes."""
    rng = random.Random(seed)
    start = date(1940, 1, 1)
    rows = []
    now = utcnow()
    for n in range(count):
        name = f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}"
        if n % 3 == 0:  # more distinct names, as in real registers
            name = f"{rng.choice(FORENAMES)} {rng.choice(FORENAMES)} {rng.choice(SURNAMES)}"
        district = rng.randint(1, 50)
        postcode = normalise_postcode(
            f"AK{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUWXYZ')}"
        )
        rows.append(
            {
                "full_name": name,
                "normalised_name": normalise_name(name),
                "date_of_birth": start + timedelta(days=rng.randint(0, 68 * 365)),
                "postcode": postcode,
                "gender_identity": "",
                "address": "",
                "phone": "",
                "safe_contact_notes": "",
                "communication_needs": "",
                "interpreter_language": "",
                "disability_adjustments": "",
                "created_at": now,
            }
        )
    return rows


def _fill(engine: Engine, count: int) -> tuple[str, date]:
    """Bulk insert; returns a (name, date of birth) present in the data, to search for."""
    rows = _people(count)
    with Session(engine) as session:
        for first in range(0, len(rows), 10_000):
            session.execute(insert(Person), rows[first : first + 10_000])
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    target = rows[len(rows) // 2]
    return str(target["full_name"]), target["date_of_birth"]  # type: ignore[return-value]


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, 95th percentile) in milliseconds, after a warm-up."""
    for _ in range(5):
        fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _misspell(name: str) -> str:
    """Drop one letter of the surname: "Amira Haddad" -> "Amira Hadad"."""
    head, _, surname = name.rpartition(" ")
    cut = len(surname) // 2
    return f"{head} {surname[:cut]}{surname[cut + 1 :]}"


def measure(label: str, url: str, count: int, runs: int) -> dict[str, object]:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        name, dob = _fill(engine, count)
        filled = time.perf_counter() - began
        key = normalise_name(name)
        typo = _misspell(name)
        with Session(engine) as session:
            exact_query = select(Person.id).where(
                Person.normalised_name == key, Person.date_of_birth == dob
            )
            exact = _time(lambda: session.scalars(exact_query).all(), runs)
            full_exact = _time(lambda: find_matches(session, name, dob, "AK1 1AA"), runs)
            fuzzy = _time(lambda: find_matches(session, typo, dob, "AK1 1AA"), runs)
            found = find_matches(session, typo, dob, "AK1 1AA")
            duplicates = _time(lambda: likely_duplicates(session), max(3, runs // 40))
            session.expunge_all()
        return {
            "backend": label,
            "people": count,
            "insert_s": filled,
            "exact": exact,
            "exact_find_matches": full_exact,
            "fuzzy": fuzzy,
            "duplicates": duplicates,
            "fuzzy_example": f"{typo!r} -> {[c.person.full_name for c in found.candidates]}",
        }
    finally:
        engine.dispose()


def _report(result: dict[str, object]) -> None:
    print(
        f"\n{result['backend']}: {result['people']:,} people, inserted in "
        f"{result['insert_s']:.1f} s"
    )
    for key, what in (
        ("exact", "exact match (indexed name + date of birth)"),
        ("exact_find_matches", "find_matches, exact hit"),
        ("fuzzy", "fuzzy candidate search (find_matches, misspelt)"),
        ("duplicates", "likely duplicates list (whole register)"),
    ):
        median, p95 = result[key]  # type: ignore[misc]
        print(f"  {what:<50} median {median:7.3f} ms   p95 {p95:7.3f} ms")
    print(f"  example: {result['fuzzy_example']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("MARAC_TEST_POSTGRES_URL") or DEFAULT_PG
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _report(measure("SQLite", url, args.people, args.runs))
    if args.sqlite_only:
        return
    try:
        pg_url = create_postgres_database(args.postgres_url, "marac_bench")
    except Exception as exc:
        print(f"\nPostgreSQL skipped: {exc}")
        return
    try:
        _report(measure("PostgreSQL", pg_url, args.people, args.runs))
    finally:
        drop_postgres_database(args.postgres_url, pg_url)


if __name__ == "__main__":
    main()
