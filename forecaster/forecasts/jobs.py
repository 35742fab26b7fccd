"""The forecasts app's share of the daily scheduler (``forecaster.sync.schedule``).

``tick(now)`` runs on every look at the schedule (about every 30 s). Once a day — claimed by
inserting a ``DailyJob`` row, which only one of several schedulers can do — it keeps the month's
forecast snapshot, refits the revenue models whose history changed (a month closed) and
records the alerts due; on every tick it e-mails the alerts not sent yet
(a cheap query when there are none).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from forecaster.forecasts import alerts, history, snapshots
from forecaster.forecasts.models import DailyJob
from forecaster.systems.models import AccountingSystem

log = logging.getLogger(__name__)
JOB = "forecasts"


def claim_day(day: date) -> bool:
    """Insert today's job row; ``True`` for the one caller whose insert succeeded."""
    try:
        with transaction.atomic():
            DailyJob.objects.create(name=JOB, day=day)
    except IntegrityError:
        return False
    return True


def tick(now: datetime | None = None) -> None:
    now = now or timezone.now()
    today = timezone.localdate(now)
    if claim_day(today):
        try:
            snapshots.take(today)
        except Exception:
            log.exception("the month's forecast snapshot failed; it is retried tomorrow")
        try:
            # A month that closed changes every history: fit now, not on someone's page view.
            for system_id in AccountingSystem.objects.values_list("pk", flat=True):
                history.refit(system_id, today)
        except Exception:
            log.exception("refitting the revenue models failed; the next page view fits them")
        try:
            added = alerts.record_due(today)
            log.info("forecast alerts: %s new", added)
        except Exception:
            log.exception("finding today's alerts failed; they are looked for again tomorrow")
        DailyJob.objects.filter(name=JOB, day=today).update(done_at=timezone.now())
    alerts.send_pending(now)
