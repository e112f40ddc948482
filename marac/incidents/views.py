"""Recording incidents against a person (stub: filled in by the intake work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
