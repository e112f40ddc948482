"""`make bench`: the pages at one year and at ten years of history, as shares of hello world.

A measurement, not a test (issue 16). It builds two throwaway PostgreSQL databases with
`benchmarks.borough` (1x: one year of a large borough, 10x: ten years, the same open
work), serves the app and a bare Flask hello world each with `gunicorn -w 2`, runs `wrk`
(a second process) against every page with a real signed-in session, counts the SQL
statements of each page through the test client, saves `EXPLAIN ANALYZE` of every page's
SELECTs at 10x, times the reports dashboard alone and the 40-case minutes beside a
plain WeasyPrint document of the same page count, and prints one table of ratios with
each goal met or missed.

Environment: BENCH_SCALE (yearly volume, default 1.0; 0.1 for a quick run),
BENCH_DURATION (seconds of each wrk run, default 5), BENCH_ROUNDS (default 2),
BENCH_OUT (folder for the EXPLAIN file and the table, default bench-results),
MARAC_TEST_POSTGRES_URL (the server).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from benchmarks.borough import Cast, fill

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
USER_AGENT = "marac-bench"
FLOOR = 0.30  # goal 1: the signed-in static page at 30% of hello world
HEAVY = 0.10  # goal 2: the heaviest pages at 10%
FLAT = 0.90  # goal 3: 10x at least 0.9 of 1x
DASHBOARD_MS = 200.0  # goal 4
MINUTES = 1.5  # goal 5


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    as_officer: bool  # the housing officer, else the coordinator
    path: Callable[[Cast], str]


PAGES = [
    Page("static", "a static page, signed in", False, lambda c: "/accessibility"),
    Page("agenda", "agenda of a 40-case meeting", False, lambda c: f"/meetings/{c.meeting_id}"),
    Page("actions", "my actions (housing officer)", True, lambda c: "/actions/mine"),
    Page("screening", "screening queue", False, lambda c: "/referrals/screening"),
    Page("timeline", "person timeline", False, lambda c: f"/people/{c.person_id}/timeline"),
    Page("home", "coordinator's home", False, lambda c: "/"),
    Page("reports", "reports dashboard (12 months)", False, lambda c: REPORTS),
]
REPORTS = "/reports/?period=last_12_months"


@dataclass
class Size:
    """One database size and what was measured on it."""

    name: str
    years: int
    url: str = ""
    cast: Cast | None = None
    fill_s: float = 0.0
    secret: str = ""
    cookies: dict[bool, str] = field(default_factory=dict)
    # Per page, one (requests/s, hello world's requests/s just before, p50 ms) per round.
    samples: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)
    dashboard_ms: float = 0.0

    def share(self, key: str) -> float:
        """The page's requests/s as a share of hello world's, median over the rounds."""
        return statistics.median(rps / floor for rps, floor, _ in self.samples[key])

    def p50(self, key: str) -> float:
        return statistics.median(p50 for _, _, p50 in self.samples[key])

    def hello(self) -> float:
        return statistics.median(floor for v in self.samples.values() for _, floor, _ in v)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings_env(url: str, secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "MARAC_ENV": "production",
        "MARAC_DATABASE_URL": url,
        "MARAC_SECRET_KEY": secret,
        "MARAC_COOKIE_SECURE": "false",
        "MARAC_QUEUE_URL": "immediate",
        "MARAC_RATELIMIT_ENABLED": "false",
    }


def make_app(url: str, secret: str) -> Flask:
    """The app as gunicorn builds it: from the environment, in production mode."""
    from marac import create_app
    from marac.config import Settings

    return create_app(Settings.from_env(_settings_env(url, secret)))


def session_cookie(app: Flask, user_id: int) -> str:
    """A real signed-in session: a `user_session` row past both factors, and the signed
    cookie Flask would send after sign-in (same keys, same serializer)."""
    from flask_login.utils import _create_identifier

    from marac.accounts.models import User
    from marac.accounts.sessions import start_session
    from marac.accounts.signin import SESSION_TOKEN_KEY

    with Session(app.extensions["marac_db"].engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        token, _ = start_session(
            db, user_id, method="password", address="127.0.0.1", second_factor=True
        )
        user_key = user.get_id()
        db.commit()
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT}
    with app.test_request_context("/", environ_base=environ):
        ident = _create_identifier()
    data = {
        "_user_id": user_key,
        "_fresh": True,
        "_id": ident,
        "_permanent": True,
        SESSION_TOKEN_KEY: token,
    }
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(data)}"


@contextmanager
def serve(target: str, env: dict[str, str]) -> Iterator[str]:
    """`gunicorn -w 2` on a free port; yields the base URL once it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz" if "marac" in target else base, timeout=2)
                break
            except OSError as error:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn {target} exited: {process.returncode}") from error
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def check_page(url: str, cookie: str) -> None:
    """The page answers 200 to this session (not a sign-in redirect, not an error)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": USER_AGENT})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=60) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_ERRORS = re.compile(r"Socket errors: .*timeout [1-9]\d*")  # requests given up


def wrk(url: str, seconds: int, cookie: str = "") -> tuple[float, float]:
    """(requests per second, median latency in ms) of `url` under wrk, 2 threads, 4
    connections; any non-2xx answer makes the run fail rather than flatter the page."""
    command = [
        *("wrk", "-t2", "-c4", f"-d{seconds}s", "--timeout", "60s", "--latency"),
        *("-H", f"User-Agent: {USER_AGENT}"),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    bad = WRK_BAD.search(out) or WRK_ERRORS.search(out)
    if bad:
        raise RuntimeError(f"{url}: failed requests under wrk ({bad.group(0)})\n{out}")
    rps = WRK_RPS.search(out)
    p50 = WRK_P50.search(out)
    if not rps or not p50:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return float(rps.group(1)), float(p50.group(1)) * factor


@dataclass
class Capture:
    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def captured(app: Flask) -> Iterator[Capture]:
    """The SQL statements (and their parameters) the app runs inside the block."""
    engine = app.extensions["marac_db"].engine
    capture = Capture()

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        capture.statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield capture
    finally:
        event.remove(engine, "before_cursor_execute", before)


def count_and_explain(
    app: Flask, cast: Cast, cookies: dict[bool, str], explain_to: Path | None
) -> dict[str, int]:
    """SQL statements per page through the test client; with `explain_to`, EXPLAIN ANALYZE
    of each page's SELECTs written there (in a rolled-back transaction)."""
    counts: dict[str, int] = {}
    lines: list[str] = []
    client = app.test_client(use_cookies=False)
    for page in PAGES:
        path = page.path(cast)
        cookie = cookies[page.as_officer]
        headers = {"Cookie": cookie, "User-Agent": USER_AGENT}
        client.get(path, headers=headers)  # warm caches so the count is the steady one
        with captured(app) as capture:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(
                f"{path} answered {response.status_code} in the test client "
                f"{response.headers.get('Location', '')}"
            )
        counts[page.key] = len(capture.statements)
        if explain_to is None:
            continue
        lines.append(f"#### {page.label}: GET {path} ({len(capture.statements)} statements)\n")
        engine = app.extensions["marac_db"].engine
        with engine.connect() as conn:
            for statement, parameters in capture.statements:
                lines.append(statement.strip() + "\n")
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    lines.append("  (not a SELECT: not explained)\n\n")
                    continue
                plan = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                ).all()
                lines.extend(f"  {row[0]}\n" for row in plan)
                lines.append("\n")
            conn.rollback()
    if explain_to is not None:
        explain_to.write_text("".join(lines))
    return counts


def time_dashboard(app: Flask, cookie: str, runs: int = 7) -> float:
    """Median ms of one GET of the reports dashboard alone, after a warm-up."""
    client = app.test_client(use_cookies=False)
    headers = {"Cookie": cookie, "User-Agent": USER_AGENT}
    client.get(REPORTS, headers=headers)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(REPORTS, headers=headers)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return statistics.median(samples)


def minutes_ratio(runs: int = 3) -> tuple[float, float, int]:
    """(minutes s, plain s, pages): the 40-case minutes beside a plain document."""
    from benchmarks.minutes import build, plain_html
    from marac import migrate
    from marac.db import make_engine
    from marac.minutes.content import gather_minutes
    from marac.minutes.render import html_to_pdf, render_full_minutes

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'minutes.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            meeting = build(session, 40, 200)
            html_to_pdf(plain_html(1))  # WeasyPrint's imports and fonts, once
            ours, plain, pages = [], [], 0
            for _ in range(runs):
                session.expire_all()
                began = time.perf_counter()
                pdf = render_full_minutes(gather_minutes(session, meeting), 1, date.today())
                ours.append(time.perf_counter() - began)
                pages = pdf.page_count
                began = time.perf_counter()
                html_to_pdf(plain_html(pages))
                plain.append(time.perf_counter() - began)
        engine.dispose()
    return statistics.median(ours), statistics.median(plain), pages


def _tune(url: str) -> None:
    """The one setting the README's deployment section asks for (SSD or cached data)."""
    import psycopg
    from psycopg import sql

    name = url.rpartition("/")[2]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(sql.Identifier(name))
        )


def build(size: Size, server: str, scale: float) -> None:
    from marac import migrate
    from marac.db import create_postgres_database, make_engine

    size.url = create_postgres_database(server, f"marac_bench_{size.name}")
    _tune(size.url)
    migrate.upgrade(size.url)
    engine = make_engine(size.url)
    began = time.perf_counter()
    size.cast = fill(engine, size.years, scale)
    size.fill_s = time.perf_counter() - began
    engine.dispose()


def prepare(size: Size, out: Path, explain: bool) -> None:
    """What one database needs before the load runs: sessions, statements, dashboard."""
    assert size.cast is not None
    size.secret = secrets.token_urlsafe(48)
    app = make_app(size.url, size.secret)
    size.cookies = {
        False: session_cookie(app, size.cast.coordinator_id),
        True: session_cookie(app, size.cast.officer_id),
    }
    size.statements = count_and_explain(
        app, size.cast, size.cookies, out / f"explain-{size.name}.txt" if explain else None
    )
    size.dashboard_ms = time_dashboard(app, size.cookies[False])
    app.extensions["marac_db"].engine.dispose()


def load_runs(sizes: list[Size], seconds: int, rounds: int) -> None:
    """wrk on every page, interleaved: hello world, the page at 1x, the page at 10x, in
    turn, `rounds` times. The shared machine's load drifts over minutes; neighbouring
    runs see about the same, so each ratio is taken between neighbours."""
    env = _settings_env(sizes[0].url, sizes[0].secret)
    with ExitStack() as stack:
        hello = stack.enter_context(serve("benchmarks.hello:app", env))
        bases = [
            stack.enter_context(serve("marac:create_app()", _settings_env(s.url, s.secret)))
            for s in sizes
        ]
        for size, base in zip(sizes, bases, strict=True):
            assert size.cast is not None
            for page in PAGES:
                check_page(base + page.path(size.cast), size.cookies[page.as_officer])
        for _ in range(rounds):
            for page in PAGES:
                floor, _ = wrk(hello + "/", seconds)
                for size, base in zip(sizes, bases, strict=True):
                    assert size.cast is not None
                    rps, p50 = wrk(
                        base + page.path(size.cast), seconds, size.cookies[page.as_officer]
                    )
                    size.samples.setdefault(page.key, []).append((rps, floor, p50))
                print(
                    f"  {page.label}: hello {floor:.0f} req/s, "
                    + ", ".join(f"{s.name} {s.samples[page.key][-1][0]:.1f} req/s" for s in sizes),
                    flush=True,
                )


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def table(small: Size, large: Size, minutes: tuple[float, float, int]) -> str:
    """The one table: each page as a share of hello world at both sizes, flatness, p50."""
    rows = [
        "| page | 1x share | 10x share | 10x/1x | p50 10x | SQL 1x/10x | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in PAGES:
        k = page.key
        share1, share10 = small.share(k), large.share(k)
        flat = statistics.median(
            big[0] / little[0]
            for big, little in zip(large.samples[k], small.samples[k], strict=True)
        )
        aim = FLOOR if k == "static" else HEAVY
        ok = share10 >= aim and flat >= FLAT
        goal = f"≥{aim:.0%} and ≥{FLAT}: {_verdict(ok)}"
        rows.append(
            f"| {page.label} | {share1:.1%} | {share10:.1%} | {flat:.2f} | "
            f"{large.p50(k):.0f} ms | {small.statements[k]}/{large.statements[k]} | {goal} |"
        )
    rows.append(
        f"| reports dashboard, one request alone | {small.dashboard_ms:.0f} ms | "
        f"{large.dashboard_ms:.0f} ms | | | | <{DASHBOARD_MS:.0f} ms at 10x: "
        f"{_verdict(large.dashboard_ms < DASHBOARD_MS)} |"
    )
    ours, plain, pages = minutes
    rows.append(
        f"| 40-case minutes ({pages} pages) vs plain document | {ours:.2f} s | {plain:.2f} s | "
        f"{ours / plain:.2f}x | | | ≤{MINUTES}x: {_verdict(ours / plain <= MINUTES)} |"
    )
    hello = f"hello world: {small.hello():.0f} req/s (median of the runs beside the pages)"
    return "\n".join(rows) + "\n\n" + hello + "\n"


def main() -> None:
    from marac.db import drop_postgres_database

    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run `make wrk` (Debian's wrk package)")
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    seconds = int(os.environ.get("BENCH_DURATION", "5"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    out = Path(os.environ.get("BENCH_OUT", "bench-results"))
    out.mkdir(parents=True, exist_ok=True)
    server = os.environ.get("MARAC_TEST_POSTGRES_URL") or DEFAULT_PG
    sizes = [Size("1x", 1), Size("10x", 10)]
    load_before = os.getloadavg()
    try:
        for size in sizes:
            build(size, server, scale)
            assert size.cast is not None
            print(
                f"{size.name}: {size.years} year(s) at scale {scale}, built in "
                f"{size.fill_s:.0f} s: {size.cast.counts}",
                flush=True,
            )
        for size in sizes:
            prepare(size, out, explain=size.name == "10x")
        load_runs(sizes, seconds, rounds)
        minutes = minutes_ratio()
    finally:
        for size in sizes:
            if size.url:
                drop_postgres_database(server, size.url)
    report = table(*sizes, minutes)
    load = (
        f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} "
        f"({os.cpu_count()} cores); scale {scale}, wrk {seconds} s per run, {rounds} rounds"
    )
    print("\n" + report + load)
    (out / "table.md").write_text(report + load + "\n")


if __name__ == "__main__":
    main()
