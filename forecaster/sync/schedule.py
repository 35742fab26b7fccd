"""Daily automatic synchronization, run by the service itself (no cron needed).

Every system with automatic sync on has ``next_auto_sync_at``. The scheduler loop calls
:func:`tick` about every 30 seconds; a due system is *claimed* with a conditional update::

    UPDATE systems SET next_auto_sync_at = <tomorrow at AUTO_SYNC_TIME>
     WHERE id = ? AND next_auto_sync_at = <the value we read>

Only one of several schedulers (threads, processes, restarted services) can win that update
for a given day, so a system is synced once per day (reliability R12). A day missed while
the service was down is made up once at start-up, not once per missed day. The run is a full
reconciliation when the last one is ``FULL_RECONCILE_DAYS`` old (R10), a cheap Sync otherwise.

Test with a frozen clock: ``tick(now=datetime(...))`` returns the runs it started.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from forecaster.lib.env import time_of_day
from forecaster.sync.models import SyncRun
from forecaster.systems.models import AccountingSystem

log = logging.getLogger(__name__)

CHECK_EVERY = 30.0  # seconds between two looks at the schedule
# Other apps' periodic work (forecast snapshots, alerts) runs on the same loop: each app's
# AppConfig.ready() appends a callable; each claims its own day (see forecaster.forecasts.jobs).
HOOKS: list = []
# A weekly reconciliation that finished a few minutes after the scheduled time last week must
# still count as due this week.
_RECONCILE_SLACK = timedelta(hours=2)


def sync_time() -> time:
    """``settings.AUTO_SYNC_TIME`` (HH:MM, server local time) as a ``time`` (checked at start-up:
    ``forecaster.E004``)."""
    return time_of_day("FORECASTER_AUTO_SYNC_TIME", settings.AUTO_SYNC_TIME)


def next_occurrence(now: datetime, at: time | None = None) -> datetime:
    """The first moment strictly after ``now`` whose local time of day is ``at``."""
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at or sync_time(), tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at or sync_time(), tzinfo=tz)
    return candidate.astimezone(ZoneInfo("UTC"))


def auto_mode(system: AccountingSystem, now: datetime | None = None) -> str:
    """``"full"`` when a full reconciliation is due for ``system``, else ``"incremental"``."""
    now = now or timezone.now()
    last = system.last_full_sync_at
    if last is None or now - last >= timedelta(days=settings.FULL_RECONCILE_DAYS) - _RECONCILE_SLACK:
        return SyncRun.Mode.FULL
    return SyncRun.Mode.INCREMENTAL


def claim_day(system: AccountingSystem, now: datetime) -> bool:
    """Take this day's automatic run of ``system`` if it is due and nobody took it yet."""
    old = system.next_auto_sync_at
    new = next_occurrence(now)
    if old is None:
        # First sight of this system: schedule it, do not run now.
        AccountingSystem.objects.filter(pk=system.pk, next_auto_sync_at__isnull=True).update(
            next_auto_sync_at=new
        )
        return False
    if old > now:
        return False
    won = AccountingSystem.objects.filter(pk=system.pk, next_auto_sync_at=old).update(next_auto_sync_at=new)
    return won == 1


def tick(now: datetime | None = None, *, enqueue: bool = True) -> list[SyncRun]:
    """Start the automatic runs due at ``now``; returns the runs claimed.

    With ``enqueue`` the runs go to the background worker; without, they only get claimed
    (queued) — what a test of the schedule needs.
    """
    from forecaster.sync.engine import AlreadyRunning, claim
    from forecaster.sync.tasks import enqueue_run

    now = now or timezone.now()
    started = []
    for system in AccountingSystem.objects.filter(auto_sync=True):
        if not claim_day(system, now):
            continue
        mode = auto_mode(system, now)
        try:
            run = claim(system, mode, SyncRun.Trigger.SCHEDULE, queued=True)
        except AlreadyRunning:
            log.info("automatic sync of system %s skipped: a sync is already running", system.pk)
            continue
        if enqueue:
            enqueue_run(run)
        started.append(run)
        log.info("automatic %s of system %s queued (run %s)", mode, system.pk, run.pk)
    # Systems switched off stop being scheduled; switched back on, they start afresh.
    AccountingSystem.objects.filter(auto_sync=False, next_auto_sync_at__isnull=False).update(
        next_auto_sync_at=None
    )
    return started


def run_scheduler(stop_event: threading.Event, interval: float = CHECK_EVERY) -> None:
    """The loop ``forecaster serve`` runs in a thread until ``stop_event`` is set."""
    while not stop_event.is_set():
        try:
            close_old_connections()
            tick()
        except Exception:
            log.exception("the daily scheduler failed; trying again shortly")
        finally:
            close_old_connections()
        for hook in HOOKS:
            try:
                hook()
            except Exception:
                log.exception("a scheduled job (%s) failed; trying again shortly", hook.__module__)
            finally:
                close_old_connections()
        stop_event.wait(interval)
