"""The meetings blueprint, shared by the agenda and the meeting-record views."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
