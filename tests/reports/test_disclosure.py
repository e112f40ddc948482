"""No figure in the partnership pack lets a count under 5 be worked back.

The attacker here reads only what is printed (the pack's cells as text) and what any
reader knows about the pack: rows of a month add up to the month's total, months, areas
and agencies add up to the period's referrals, a strand's referrals and the rest make up
the whole, a percentage is a part of its whole. It narrows every count to the range the
printed figures allow and fails the test when a count from 1 to 4 (printed or not: "the
referrals that were not repeats") is pinned to one value. It is run over hundreds of
random small boroughs, and first shown to catch the old suppression.
"""

from __future__ import annotations

import math
import random
import re
from datetime import date

from marac.reports.disclosure import PRIMARY, SECONDARY, Sheet, protect
from marac.reports.queries import (
    ActionsByAgency,
    AgencyActions,
    AssessmentCompletion,
    Count,
    Counts,
    Dashboard,
    HearingWait,
    MonthlySources,
    RepeatRate,
    Scope,
    StrandCounts,
)
from marac.reports.tables import Table, _cells, published, tables

SCOPE = Scope(date(2026, 1, 1), date(2026, 3, 31), (1, 2), "Ashbrook", date(2026, 4, 15))
MONTHS = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
SOURCES = ["automatic_high_risk", "automatic_repeat", "partner"]
STRANDS = ["race", "religion", "disability"]


def borough(rng: random.Random) -> tuple[Dashboard, dict[str, int]]:
    """A random small borough's dashboard, every figure counted from its referrals; and
    the counts a reader might derive (the truth the attacker is checked against)."""
    n = rng.choice([0, 1, 3, 5, 6, 7, 9, 12, 17, 24])
    referrals = []
    for _ in range(n):
        endorsed = rng.random() < 0.6
        referrals.append(
            {
                "month": rng.choice(MONTHS),
                "source": rng.choice(SOURCES),
                "area": rng.choice(["North", "South"]),
                "agency": rng.choice(["Police", "Housing", "Victim Support"]),
                "strands": {s for s in STRANDS if rng.random() < 0.5},
                "repeat": rng.random() < 0.3,
                "endorsed": endorsed,
                "plan": endorsed and rng.random() < 0.7,
            }
        )

    def count(key: str, value: object) -> int:
        return sum(1 for r in referrals if r[key] == value)

    monthly = MonthlySources(
        SCOPE,
        MONTHS,
        SOURCES,
        {
            (m, s): sum(1 for r in referrals if r["month"] == m and r["source"] == s)
            for m in MONTHS
            for s in SOURCES
        },
    )
    strand_rows = [Count(s, s, sum(1 for r in referrals if s in r["strands"])) for s in STRANDS]
    board = Dashboard(
        SCOPE,
        monthly,
        StrandCounts(SCOPE, strand_rows, [], []),
        Counts(
            SCOPE,
            [Count(a, a, count("agency", a)) for a in ["Police", "Housing", "Victim Support"]],
        ),
        Counts(SCOPE, [Count(a, a, count("area", a)) for a in ["North", "South"]]),
        RepeatRate(SCOPE, count("repeat", True), n, 0.0),
        HearingWait(SCOPE, rng.randint(0, 8), None, None, rng.randint(0, 6), None),
        ActionsByAgency(
            SCOPE,
            [AgencyActions("p", "Police", rng.randint(0, 9), rng.randint(0, 3), rng.randint(0, 6))],
        ),
        Counts(
            SCOPE,
            [
                Count("risk_reduced", "Risk reduced", rng.randint(0, 7)),
                Count("risk_unchanged", "Risk unchanged", rng.randint(0, 3)),
            ],
        ),
        AssessmentCompletion(SCOPE, n, count("endorsed", True), count("plan", True)),
    )
    truth = {
        "not repeats": n - count("repeat", True),
        "not endorsed": n - count("endorsed", True),
        "endorsed without a plan": count("endorsed", True) - count("plan", True),
        **{f"not {s}": n - c.count for s, c in zip(STRANDS, strand_rows, strict=True)},
        **{f"source {s}": sum(monthly.count(m, s) for m in MONTHS) for s in SOURCES},
    }
    return board, truth


# ---- the attacker: printed text and public structure only ----------------------------

Interval = tuple[float, float]


def read(cell: object) -> Interval | None:
    text = str(cell)
    if re.fullmatch(r"\d+", text):
        return (int(text), int(text))
    if text == PRIMARY:
        return (1, 4)
    if text == SECONDARY:
        return (1, math.inf)
    return None


def attack(pack: list[Table], truth: dict[str, int]) -> list[str]:
    """Every count from 1 to 4 this reader can pin down, as a description."""
    by = {t.key: t for t in pack}
    known: dict[str, Interval] = {}
    actual: dict[str, int] = {}
    sums: list[tuple[str, list[str]]] = []

    def printed(key: str, r: int, c: int, real: int) -> str:
        name = f"{key}[{r}][{c}]"
        got = read(by[key].rows[r][c])
        assert got is not None, (name, by[key].rows[r][c])
        known[name], actual[name] = got, real
        return name

    def derived(name: str) -> str:
        known.setdefault(name, (0, math.inf))
        actual[name] = truth[name]
        return name

    real = by["_real"]
    whole = printed("assessments", 0, 1, int(real.rows[0][0]))  # type: ignore[arg-type]
    monthly, last = by["monthly"], len(by["monthly"].headings) - 1
    rows = []
    for r in range(len(monthly.rows)):
        cells = [printed("monthly", r, c, real.rows[1 + r][c - 1]) for c in range(1, last)]  # type: ignore[arg-type]
        total = printed("monthly", r, last, sum(real.rows[1 + r]))  # type: ignore[arg-type]
        sums.append((total, cells))
        rows.append(cells)
    sums.append((whole, [f"monthly[{r}][{last}]" for r in range(len(monthly.rows))]))
    for c, source in enumerate(SOURCES):
        sums.append((derived(f"source {source}"), [row[c] for row in rows]))
    for key in ("areas", "agencies"):
        parts = [printed(key, r, 1, int(v)) for r, v in enumerate(by[f"_{key}"].rows[0])]  # type: ignore[arg-type]
        sums.append((whole, parts))
    for r, strand in enumerate(STRANDS):
        part = printed("strands", r, 1, int(by["_strands"].rows[0][r]))  # type: ignore[arg-type]
        sums.append((whole, [part, derived(f"not {strand}")]))
    repeats = printed("repeats", 1, 1, int(real.rows[0][1]))  # type: ignore[arg-type]
    sums.append((printed("repeats", 0, 1, int(real.rows[0][0])), [repeats, derived("not repeats")]))  # type: ignore[arg-type]
    endorsed = printed("assessments", 1, 1, int(real.rows[0][2]))  # type: ignore[arg-type]
    planned = printed("assessments", 2, 1, int(real.rows[0][3]))  # type: ignore[arg-type]
    sums.append((whole, [endorsed, derived("not endorsed")]))
    sums.append((endorsed, [planned, derived("endorsed without a plan")]))

    # Percentages of a printed whole narrow the part to the counts that round to it.
    for part, text in (
        (repeats, by["repeats"].rows[2][1]),
        (endorsed, by["assessments"].rows[1][2]),
        (planned, by["assessments"].rows[2][2]),
    ):
        match = re.fullmatch(r"(\d+)%", str(text))
        w_lo, w_hi = known[whole]
        if match and w_lo == w_hi and w_lo > 0:
            fits = [k for k in range(int(w_lo) + 1) if f"{100 * k / w_lo:.0f}" == match[1]]
            lo, hi = known[part]
            known[part] = (max(lo, min(fits)), min(hi, max(fits)))

    for _ in range(50):
        before = dict(known)
        for total, parts in sums:
            t_lo, t_hi = known[total]
            p_lo = sum(known[p][0] for p in parts)
            p_hi = sum(known[p][1] for p in parts)
            known[total] = (max(t_lo, p_lo), min(t_hi, p_hi))
            t_lo, t_hi = known[total]
            for p in parts:
                rest_lo = sum(known[q][0] for q in parts if q != p)
                rest_hi = sum(known[q][1] for q in parts if q != p)
                lo, hi = known[p]
                known[p] = (max(lo, t_lo - rest_hi), min(hi, t_hi - rest_lo))
        if known == before:
            break

    leaks = [
        f"{name} = {actual[name]}"
        for name, (lo, hi) in known.items()
        if lo == hi and 0 < actual[name] < 5 and read_is_hidden(name, by)
    ]
    for total, parts in sums:
        open_parts = [p for p in parts if known[p][0] != known[p][1]]
        if known[total][0] == known[total][1] and len(open_parts) > 1:
            together = sum(actual[p] for p in open_parts)
            if 0 < together < 5:
                leaks.append(f"{' + '.join(open_parts)} = {together}")
    return leaks


def read_is_hidden(name: str, by: dict[str, Table]) -> bool:
    """A printed figure shown as it is was never secret; anything else was."""
    match = re.fullmatch(r"(\w+)\[(\d+)\]\[(\d+)\]", name)
    if not match:
        return True
    cell = by[match[1]].rows[int(match[2])][int(match[3])]
    return not re.fullmatch(r"\d+", str(cell))


def with_truth(pack: list[Table], board: Dashboard) -> list[Table]:
    """The printed tables plus the real counts the attacker's findings are checked with."""
    m = board.monthly
    real = [
        [
            board.repeats.total,
            board.repeats.repeats,
            board.assessments.endorsed_assessment,
            board.assessments.risk_plan,
        ],
        *[[m.count(month, s) for s in m.sources] for month in m.months],
    ]
    extra = [
        Table("_real", "", SCOPE, [], real),
        Table("_areas", "", SCOPE, [], [[c.count for c in board.areas.rows]]),
        Table("_agencies", "", SCOPE, [], [[c.count for c in board.agencies.rows]]),
        Table("_strands", "", SCOPE, [], [[c.count for c in board.strands.monitored]]),
    ]
    return [*pack, *extra]


def old_suppression(all_tables: list[Table]) -> list[Table]:
    """What the pack printed before: 1 to 4 hidden, everything else as it was."""
    return [
        Table(
            t.key,
            t.title,
            t.scope,
            t.headings,
            [[str(c) for c in _cells(row, True)] for row in t.rows],
        )
        for t in all_tables
    ]


def test_the_attacker_works_back_what_the_old_pack_let_out() -> None:
    # "Repeat referrals: fewer than 5, repeat rate 22% of 9": 2, as the issue found.
    rng = random.Random(7)
    found = []
    for _ in range(200):
        board, truth = borough(rng)
        found += attack(with_truth(old_suppression(tables(board)), board), truth)
    assert found, "the attacker should break the old suppression"
    assert any("repeats" in leak or "not " in leak for leak in found)


def test_no_count_under_5_can_be_worked_back_from_the_published_pack() -> None:
    rng = random.Random(2026)
    for _ in range(400):
        board, truth = borough(rng)
        pack = published(tables(board))
        leaks = attack(with_truth(pack, board), truth)
        assert not leaks, (leaks, [t.rows for t in pack])


def test_publication_still_prints_what_is_safe() -> None:
    rng = random.Random(11)
    printed = 0
    for _ in range(100):
        board, _ = borough(rng)
        for table in published(tables(board)):
            printed += sum(1 for row in table.rows for c in row[1:] if re.fullmatch(r"\d+", str(c)))
    assert printed > 1000  # suppression is targeted, not a blanket


def test_the_repeat_rate_of_a_small_count_is_withheld() -> None:
    rng = random.Random(1)
    board, _ = borough(rng)
    board = Dashboard(
        **{
            **board.__dict__,
            "repeats": RepeatRate(SCOPE, 2, 9, 0.22),
            "assessments": AssessmentCompletion(SCOPE, 9, 9, 9),
        }
    )
    repeats = next(t for t in published(tables(board)) if t.key == "repeats")
    assert repeats.rows[1][1] == PRIMARY
    assert repeats.rows[2][1] == SECONDARY  # not "22%"


def test_a_complement_under_5_withholds_the_part() -> None:
    sheet = Sheet()
    whole = sheet.count("referrals", 9)
    repeats = sheet.count("repeats", 7)
    sheet.group(whole, [repeats, sheet.count("rest", 2, printed=False)])
    assert protect(sheet) == {"repeats": SECONDARY}


def test_a_lone_small_count_in_a_row_takes_the_next_smallest_with_it() -> None:
    sheet = Sheet()
    parts = [sheet.count("a", 3), sheet.count("b", 0), sheet.count("c", 9), sheet.count("d", 6)]
    sheet.group(sheet.count("total", 18), parts)
    assert protect(sheet) == {"a": PRIMARY, "d": SECONDARY}


def test_four_small_parts_of_a_small_total_loosen_a_label() -> None:
    # Four "fewer than 5" parts of a "fewer than 5" total could only all be 1.
    sheet = Sheet()
    parts = [sheet.count(f"p{i}", 1) for i in range(4)]
    sheet.group(sheet.count("total", 4), parts)
    hidden = protect(sheet)
    assert SECONDARY in hidden.values() and set(hidden) == {"total", "p0", "p1", "p2", "p3"}
