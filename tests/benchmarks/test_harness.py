"""A small run of the benchmark's parts (issue 16): the generated borough serves every
measured page to a minted session, and wrk's report is read right. Not the benchmark."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.borough import HOUSING, fill
from benchmarks.run import PAGES, WRK_BAD, WRK_P50, WRK_RPS, count_and_explain, session_cookie
from marac.actions.models import Action
from marac.meetings.models import AgendaItem

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8000/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.31ms    3.10ms  40.02ms   80.00%
  Latency Distribution
     50%   11.52ms
     75%   13.90ms
     90%   16.01ms
     99%   30.11ms
  640 requests in 2.00s, 5.12MB read
Requests/sec:    319.52
Transfer/sec:      2.56MB
"""


def test_wrk_report_is_read() -> None:
    assert float(WRK_RPS.search(WRK_OUTPUT).group(1)) == 319.52  # type: ignore[union-attr]
    assert WRK_P50.search(WRK_OUTPUT).groups() == ("11.52", "ms")  # type: ignore[union-attr]
    assert WRK_BAD.search(WRK_OUTPUT) is None
    assert WRK_BAD.search(WRK_OUTPUT + "  Non-2xx or 3xx responses: 7\n")


def test_small_borough_serves_every_page(
    app: Flask, db: Session, backend: str, tmp_path: Path
) -> None:
    engine = app.extensions["marac_db"].engine
    cast = fill(engine, years=2, scale=0.03)
    assert cast.counts["referrals"] == 300
    listed = db.scalar(
        select(func.count()).where(
            AgendaItem.meeting_id == cast.meeting_id, AgendaItem.discussed_at.is_(None)
        )
    )
    assert listed == cast.counts["agenda_cases"] > 0
    # History is finished work: nothing open is due more than six months ago.
    open_actions = select(func.min(Action.due_date)).where(
        Action.status == "open", Action.agency_id == HOUSING
    )
    assert db.scalar(open_actions) is not None
    cookies = {
        False: session_cookie(app, cast.coordinator_id),
        True: session_cookie(app, cast.officer_id),
    }
    explain = tmp_path / "explain.txt" if backend == "postgresql" else None
    counts = count_and_explain(app, cast, cookies, explain)  # raises unless every page is 200
    assert set(counts) == {p.key for p in PAGES}
    assert all(n > 0 for n in counts.values())
    if explain is not None:
        plans = explain.read_text()
        assert plans.count("#### ") == len(PAGES) and "Execution Time" in plans


def test_a_revoked_session_cookie_opens_nothing(app: Flask) -> None:
    engine = app.extensions["marac_db"].engine
    cast = fill(engine, years=1, scale=0.01)
    cookie = session_cookie(app, cast.coordinator_id)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE user_session SET revoked_at = created_at")
    client = app.test_client(use_cookies=False)
    response = client.get("/referrals/screening", headers={"Cookie": cookie})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
