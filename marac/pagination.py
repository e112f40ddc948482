"""One page of a query's results: two SQL statements whatever the table's size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def govuk_pagination(self, endpoint: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """Parameters for the govukPagination macro, keeping the current filters in each link."""
        base = {k: v for k, v in (args or {}).items() if v not in (None, "") and k != "page"}

        def url_for_page(number: int) -> str:
            return url_for(endpoint, **base, page=number)

        params: dict[str, Any] = {"items": []}
        if self.page > 1:
            params["previous"] = {"href": url_for_page(self.page - 1)}
        if self.page < self.pages:
            params["next"] = {"href": url_for_page(self.page + 1)}
        shown = sorted({1, self.pages, self.page - 1, self.page, self.page + 1})
        last = 0
        for number in shown:
            if number < 1 or number > self.pages:
                continue
            if number - last > 1:
                params["items"].append({"ellipsis": True})
            params["items"].append(
                {"number": number, "href": url_for_page(number), "current": number == self.page}
            )
            last = number
        return params


def paginate(
    session: Session, query: Select[Any], page: int | None, per_page: int = 50
) -> Page[Any]:
    """The asked-for page, moved onto the first or last one when it is out of range."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    last = max(1, -(-total // per_page))
    page = min(max(1, page or 1), last)  # a huge page number would overflow the OFFSET
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, page=page, per_page=per_page, total=total)
