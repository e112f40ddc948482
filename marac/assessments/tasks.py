"""The task list of an assessment: its pages in order and each page's status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marac.assessments.instrument import PERCEIVED_BY_KEY, PERCEPTION_KEY, Instrument

DIAGNOSTICS = "diagnostics"
JUDGEMENT = "judgement"
PLAN = "plan"

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"


@dataclass(frozen=True)
class Task:
    key: str
    title: str


def tasks_for(instrument: Instrument) -> list[Task]:
    """Every page the assessor completes, in order: the question sections, then the rest."""
    return [Task(s.key, s.title) for s in instrument.sections] + [
        Task(DIAGNOSTICS, "Diagnostic questions"),
        Task(JUDGEMENT, "Perception and professional judgement"),
        Task(PLAN, "Risk management plan"),
    ]


def next_task(instrument: Instrument, key: str) -> str | None:
    keys = [t.key for t in tasks_for(instrument)]
    index = keys.index(key)
    return keys[index + 1] if index + 1 < len(keys) else None


def _started(
    instrument: Instrument,
    key: str,
    answers: Mapping[str, Any],
    judgement_level: str | None,
    measure_count: int,
) -> bool:
    section = instrument.section(key)
    if section is not None:
        return any(answers.get(q.id) for q in section.questions)
    if key == DIAGNOSTICS:
        return any(answers.get(d.rating_key) for d in instrument.diagnostics)
    if key == JUDGEMENT:
        return bool(answers.get(PERCEPTION_KEY) or answers.get(PERCEIVED_BY_KEY) or judgement_level)
    return measure_count > 0


def task_statuses(
    instrument: Instrument,
    answers: Mapping[str, Any],
    completed: Sequence[str],
    judgement_level: str | None,
    measure_count: int,
) -> dict[str, str]:
    """Not started / In progress / Completed for each task key."""
    statuses = {}
    for task in tasks_for(instrument):
        if task.key in completed:
            statuses[task.key] = COMPLETED
        elif _started(instrument, task.key, answers, judgement_level, measure_count):
            statuses[task.key] = IN_PROGRESS
        else:
            statuses[task.key] = NOT_STARTED
    return statuses
