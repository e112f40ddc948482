"""Person pages (stub: filled in by the intake work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")
