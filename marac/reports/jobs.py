"""The reports' background work: rendering a partnership pack PDF into the store."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from marac.jobs.models import Job
from marac.jobs.queue import Progress, job_handler
from marac.reports import operations
from marac.reports.pack_pdf import fingerprint, html_to_pdf, pack_html, scope_from
from marac.storage.backends import store


@job_handler(operations.PACK_JOB)
def partnership_pack_pdf(db: Session, job: Job, progress: Progress) -> None:
    """Render the pack for the scope asked for; the key is named by the fingerprint, so a
    rerun overwrites the same object."""
    scope = scope_from(json.loads(job.params))
    html = pack_html(db, scope)
    digest = fingerprint(html)
    progress(0, 1, "Rendering the partnership pack")
    pdf, pages = html_to_pdf(html)
    key = f"packs/{digest}.pdf"
    store().put(key, pdf)
    db.rollback()
    operations.store_pack_pdf(db, digest, key, pdf, pages, job.id)
    progress(1, 1, "The partnership pack PDF is ready")
