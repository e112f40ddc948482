"""The Cases list page (/cases/): parse the GET form, call `list_cases`, render.

Filters, search, sort and page are all query parameters, so the page works without
JavaScript and a filtered list can be bookmarked or shared with a colleague (who sees
only what they may).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from marac.auth import require
from marac.cases.list_forms import CaseFilterForm
from marac.cases.listing import (
    SORT_LABELS,
    CaseFilters,
    filter_choices,
    labels,
    list_cases,
    may_list_cases,
)
from marac.db import db_session
from marac.formatting import format_date
from marac.referrals.labels import page_labels

bp = Blueprint("cases", __name__, url_prefix="/cases")

FILTER_KEYS = ("status", "risk", "source", "area", "panel", "strand")


def _args_without(args: MultiDict[str, str], key: str, value: str | None = None) -> dict[str, Any]:
    """The current query without one filter (or one of its values), back on page 1."""
    kept: dict[str, Any] = {}
    for name in args:
        if name == "page":
            continue
        values = [
            v
            for v in args.getlist(name)
            if not (name == key or name.startswith(f"{key}-")) or (value is not None and v != value)
        ]
        if values:
            kept[name] = values
    return kept


def _sort_headers(args: MultiDict[str, str], filters: CaseFilters) -> dict[str, dict[str, str]]:
    """Each sortable column's link (the other way round when it is the current sort)."""
    base = {k: args.getlist(k) for k in args if k not in ("sort", "order", "page")}
    headers = {}
    for column in SORT_LABELS:
        current = filters.sort == column
        order = (
            ("ascending" if filters.order == "descending" else "descending")
            if current
            else ("descending" if column in ("referred", "risk") else "ascending")
        )
        headers[column] = {
            "href": url_for("cases.index", **base, sort=column, order=order),
            "aria_sort": filters.order if current else "none",
        }
    return headers


def _selected(form: CaseFilterForm, args: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The applied filters, each with a link that removes it (MOJ "Selected filters")."""
    chosen: list[dict[str, Any]] = []
    if form.q.data:
        chosen.append(
            {
                "heading": "Search",
                "text": form.q.data,
                "href": url_for("cases.index", **_args_without(args, "q")),
            }
        )
    for key in FILTER_KEYS:
        field = getattr(form, key)
        names = dict(field.choices or [])
        values = field.data if isinstance(field.data, list) else [field.data]
        for value in values:
            if value:
                chosen.append(
                    {
                        "heading": field.label.text,
                        "text": names.get(value, value),
                        "href": url_for("cases.index", **_args_without(args, key, value)),
                    }
                )
    for key in ("referred_from", "referred_to"):
        field = getattr(form, key)
        if field.data:
            chosen.append(
                {
                    "heading": field.label.text,
                    "text": format_date(field.data),
                    "href": url_for("cases.index", **_args_without(args, key)),
                }
            )
    return chosen


@bp.route("/")
def index() -> str:
    """Every case the viewer may open, with one search box and the MOJ filter panel."""
    require(may_list_cases(current_user))
    db = db_session()
    args = request.args
    form = CaseFilterForm(args)
    areas, panels = filter_choices(db, current_user)
    form.set_choices(areas, panels)
    sort, order = args.get("sort", ""), args.get("order", "")
    valid = form.validate()
    filters = form.filters(sort, order) if valid else CaseFilters()
    listed = list_cases(db, current_user, filters, args.get("page", 1, type=int))

    return render_template(
        "cases/list.html",
        listed=listed,
        area_choices=areas,
        panel_choices=panels,
        page=listed.page,
        filters=listed.filters,
        form=form if not valid else None,
        filter_form=form,
        selected=_selected(form, args) if valid else [],
        sort_headers=_sort_headers(args, listed.filters),
        sort_labels=SORT_LABELS,
        list_labels=labels(),
        labels=page_labels(),
        page_args={k: args.getlist(k) for k in args},
    )
