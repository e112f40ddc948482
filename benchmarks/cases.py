"""Benchmark of the Cases list and its search (issue 18): not a test, a measurement.

Builds a throwaway PostgreSQL database (and, with --sqlite, a SQLite file), migrates it
and fills ten years of the benchmark borough (`benchmarks.borough`, 10x: 50,000
referrals at BENCH_SCALE=1), then gives its people realistic, transliterated names with
their phonetic keys, and its incidents crime references and named perpetrators. Then it
times `marac.cases.listing.list_cases` for the borough's coordinator (every area) on
the unfiltered list and on each kind of search, and prints the medians.

Run:  BENCH_SCALE=0.1 .venv/bin/python -m benchmarks.cases [--runs 20] [--sqlite]
      [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The throwaway databases are removed afterwards. Figures go in docs/cases.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, bindparam, select, text, update
from sqlalchemy.orm import Session

from benchmarks.borough import fill
from marac import migrate
from marac.accounts.models import User
from marac.cases.listing import CaseFilters, list_cases
from marac.db import create_postgres_database, drop_postgres_database, make_engine
from marac.incidents.models import Incident, Perpetrator
from marac.people.models import Person, normalise_name
from marac.people.phonetic import phonetic_key
from marac.referrals.models import ReferralIncident

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FORENAMES = ["Mohammed", "Amira", "Tomasz", "Aisha", "Grace", "Kwame", "Priya", "Yusuf", "Ewa"]
FORENAMES += ["Fatima", "Bartosz", "Zainab", "Olivia", "Imran", "Hannah", "Omar", "Noor", "Mei"]
SURNAMES = ["Kowalski", "Haddad", "Okafor", "Chaudhry", "Nowak", "Begum", "Mensah", "Patel"]
SURNAMES += ["Smith", "Ahmed", "Wiśniewski", "Osei", "Hussain", "Lewandowski", "Khan", "Jones"]
BATCH = 5_000


def _dress(engine: Engine, seed: int = 18) -> None:
    """Real-looking names (with keys), crime references and perpetrators on the borough."""
    rng = random.Random(seed)
    with Session(engine) as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id)))
        rows = []
        for pid in ids:
            name = f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)} {pid}"
            rows.append(
                {
                    "pid": pid,
                    "full_name": name,
                    "normalised_name": normalise_name(name),
                    "phonetic_key": phonetic_key(name),
                    "address": f"{pid % 200 + 1} {rng.choice(SURNAMES)} Road",
                }
            )
        statement = (
            update(Person.__table__)  # type: ignore[arg-type]
            .where(Person.__table__.c.id == bindparam("pid"))
            .values(
                full_name=bindparam("full_name"),
                normalised_name=bindparam("normalised_name"),
                phonetic_key=bindparam("phonetic_key"),
                address=bindparam("address"),
            )
        )
        for first in range(0, len(rows), BATCH):
            s.connection().execute(statement, rows[first : first + BATCH])
        incident_ids = list(s.scalars(select(Incident.id).order_by(Incident.id)))
        s.connection().execute(
            update(Incident.__table__)  # type: ignore[arg-type]
            .where(Incident.__table__.c.id == bindparam("iid"))
            .values(crime_reference=bindparam("ref")),
            [{"iid": i, "ref": f"AK/{i:06d}/{20 + i % 7}"} for i in incident_ids],
        )
        # A referenced incident carries the crime reference the benchmark searches for.
        linked = s.scalar(
            select(ReferralIncident.incident_id).order_by(ReferralIncident.incident_id)
        )
        s.connection().execute(
            update(Incident.__table__)  # type: ignore[arg-type]
            .where(Incident.__table__.c.id == linked)
            .values(crime_reference="AK/000042/26"),
        )
        s.execute(
            Perpetrator.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "incident_id": i,
                    "known": True,
                    "name": f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}",
                    "relationship_to_victim": "neighbour",
                    "age_band": "unknown",
                    "description": "",
                }
                for i in incident_ids[::3]
            ],
        )
        s.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


SEARCHES: dict[str, CaseFilters] = {
    "list, no search (page 1)": CaseFilters(),
    "list, high risk, sorted by risk": CaseFilters(risks=("high",), sort="risk"),
    "our reference": CaseFilters(text="CM-0004242"),
    "crime reference": CaseFilters(text="AK/000042/"),
    "transliterated name (Muhammad Kovalsky)": CaseFilters(text="Muhammad Kovalsky"),
    "misspelt name (Amria Hadad)": CaseFilters(text="Amria Hadad"),
    "postcode (ak1 1ab)": CaseFilters(text="ak1 1ab"),
    "perpetrator (Tomasz Nowak)": CaseFilters(text="Tomasz Nowak"),
    "address words (Osei Road)": CaseFilters(text="Osei Road"),
}


def _time(engine: Engine, coordinator_id: int, runs: int) -> dict[str, tuple[float, int]]:
    """Median milliseconds of each search, and the number of cases it found."""
    results: dict[str, tuple[float, int]] = {}
    with Session(engine) as s:
        viewer = s.get(User, coordinator_id)
        assert viewer is not None
        for name, filters in SEARCHES.items():
            times = []
            total = 0
            for _ in range(runs):
                began = time.perf_counter()
                total = list_cases(s, viewer, filters, 1).page.total
                times.append((time.perf_counter() - began) * 1000)
            results[name] = (statistics.median(times), total)
    return results


def _bench(url: str, label: str, runs: int, scale: float) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        cast = fill(engine, years=10, scale=scale)
        _dress(engine)
        with Session(engine) as s:
            referrals = s.scalar(text("SELECT count(*) FROM referral"))
        print(f"\n{label}: {referrals} referrals, built in {time.perf_counter() - began:.0f} s")
        for name, (ms, total) in _time(engine, cast.coordinator_id, runs).items():
            print(f"  {name:<42} {ms:8.1f} ms median   ({total} found)")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sqlite", action="store_true", help="also measure a SQLite file")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("MARAC_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    args = parser.parse_args()
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    url = create_postgres_database(args.postgres_url, "marac_bench_cases")
    try:
        _bench(url, f"PostgreSQL, 10x at scale {scale}", args.runs, scale)
    finally:
        drop_postgres_database(args.postgres_url, url)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite"
            _bench(f"sqlite:///{path}", f"SQLite, 10x at scale {scale}", args.runs, scale)


if __name__ == "__main__":
    main()
