"""The floor the benchmark measures against: a bare Flask app that answers one line.

Served by the same gunicorn settings as the app (`gunicorn -w 2 benchmarks.hello:app`).
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
