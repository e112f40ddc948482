"""The daily check for lapsed information-sharing agreements, in the worker.

Every morning at 06:15 UK time the coordinators are told about each agency whose
agreement's review date has passed; each lapse is told once (see panels/agreements.py).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from marac.formatting import uk_today
from marac.jobs.queue import periodic, uk_crontab
from marac.panels.agreements import tell_lapsed_agreements

log = logging.getLogger(__name__)

CHECK_TIME = {"hour": "6", "minute": "15"}  # UK clocks


@periodic(uk_crontab(**CHECK_TIME))
def check_lapsed_agreements(db: Session) -> None:
    told = tell_lapsed_agreements(db, uk_today())
    if told:
        log.info("agreements: %s lapsed, coordinators told", len(told))
