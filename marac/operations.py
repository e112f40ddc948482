"""What every capability's `operations.py` shares: one transaction, and the ways it says no.

An operation is the one place a write happens: it takes a session, the acting user and
plain values; checks the actor may do it; changes the rows; records the audit row and
the notifications; and commits once. Pages, the API, jobs and tests call the same
function, so a rule lives in one place. The errors below carry no HTTP: the web door
turns them into GOV.UK pages, the API door into problem details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH = "marac_operation_depth"


class OperationError(Exception):
    """Base of the refusals an operation can raise; `message` is safe to show the actor."""

    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class Refused(OperationError):
    """The actor may not do this (or may not know the record exists): 403 on the web."""

    status = 403

    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message)


class NotFound(OperationError):
    """No such record: 404."""

    status = 404

    def __init__(self, message: str = "Page not found.") -> None:
        super().__init__(message)


class Invalid(OperationError):
    """The values break a rule; `errors` maps each field name to what is wrong with it."""

    status = 422

    def __init__(self, errors: Mapping[str, str | list[str]], message: str = "") -> None:
        super().__init__(message or "There is a problem with what was sent.")
        self.errors: dict[str, list[str]] = {
            field: [problem] if isinstance(problem, str) else list(problem)
            for field, problem in errors.items()
        }


class Conflict(OperationError):
    """Someone else changed the record since the actor loaded it: 409; nothing was saved."""

    status = 409

    def __init__(
        self, message: str = "Someone else changed this record while you were working on it."
    ) -> None:
        super().__init__(message)


def allow(condition: bool, message: str | None = None) -> None:
    """Raise `Refused` unless `condition` holds: the authorisation check of an operation."""
    if not condition:
        raise Refused(message) if message else Refused()


def operation(fn: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Run `fn(db, ...)` as one transaction: commit when it returns, roll back if it raises.

    Operations may call each other; only the outermost one commits, so a composite write
    (an incident whose trigger rules create a referral) is still one transaction.
    """

    @wraps(fn)
    def run(db: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        depth = db.info.get(_DEPTH, 0)
        db.info[_DEPTH] = depth + 1
        try:
            result = fn(db, *args, **kwargs)
            if depth == 0:
                db.commit()
            return result
        except BaseException:
            if depth == 0:
                db.rollback()
            raise
        finally:
            db.info[_DEPTH] = depth

    return run
