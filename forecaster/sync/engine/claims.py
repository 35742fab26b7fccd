"""Claiming a system: one active run per system, decided by the database (reliability R11).

    run = claim(system, "full", "cli")           # raises AlreadyRunning if one is active
    start_claimed(run)                           # a queued run (web UI) starts running here

A run left active by a killed process is expired first: its heartbeat went silent for
``STALE_AFTER``, or its process is gone on this host, or it waited in the queue too long.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from forecaster.sync.engine.errors import AlreadyRunning
from forecaster.sync.models import SyncRun
from forecaster.systems.models import AccountingSystem

# A running sync writes a heartbeat at least once per step; one silent for this long was
# killed (SIGKILL, power loss) and must not block the system forever.
STALE_AFTER = timedelta(minutes=10)
# A queued run waits for the worker; one waiting this long will never start.
QUEUED_STALE_AFTER = timedelta(hours=6)
STOPPED = gettext_noop("The sync stopped without finishing (its process ended); it can be resumed.")


def expire_stale(system_id: int, now: datetime | None = None) -> int:
    """Mark runs left active by a killed process as interrupted; returns how many."""
    now = now or timezone.now()
    return (
        _expire_silent(system_id, now)
        + _expire_dead_processes(system_id, now)
        + _expire_queued(system_id, now)
    )


def _interrupt(runs, now: datetime) -> int:  # noqa: ANN001
    return runs.update(
        status=SyncRun.Status.INTERRUPTED, finished_at=now, error_class="Stale", error_message=STOPPED
    )


def _expire_silent(system_id: int, now: datetime) -> int:
    running = SyncRun.objects.filter(
        system_id=system_id, status=SyncRun.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    return _interrupt(running, now)


def _expire_dead_processes(system_id: int, now: datetime) -> int:
    here = socket.gethostname()
    mine = SyncRun.objects.filter(
        system_id=system_id, status=SyncRun.Status.RUNNING, host=here, pid__isnull=False
    ).values_list("id", "pid")
    n = 0
    for run_id, pid in mine:
        if pid is not None and not _process_alive(pid):
            n += _interrupt(SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING), now)
    return n


def _expire_queued(system_id: int, now: datetime) -> int:
    queued = SyncRun.objects.filter(
        system_id=system_id, status=SyncRun.Status.QUEUED, created_at__lt=now - QUEUED_STALE_AFTER
    )
    return queued.update(
        status=SyncRun.Status.INTERRUPTED,
        finished_at=now,
        error_class="Stale",
        error_message=gettext_noop("The sync waited too long for the background worker."),
        error_fix=gettext_noop("Check that `forecaster serve` (or `forecaster db_worker`) runs."),
    )


def _process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (signal 0 checks, sends nothing)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def claim(system: AccountingSystem, mode: str, trigger: str, *, queued: bool = False) -> SyncRun:
    """Create the system's one active run, or raise :class:`AlreadyRunning`.

    The partial unique index ``one_active_sync_per_system`` decides races between threads,
    processes and workers: exactly one INSERT wins, on SQLite and PostgreSQL alike.
    """
    status = SyncRun.Status.QUEUED if queued else SyncRun.Status.RUNNING
    for attempt in range(50):
        now = timezone.now()
        try:
            with transaction.atomic():
                expire_stale(system.pk, now)
                return SyncRun.objects.create(
                    system=system,
                    mode=mode,
                    trigger=trigger,
                    status=status,
                    started_at=None if queued else now,
                    heartbeat_at=now,
                    host="" if queued else socket.gethostname(),
                    pid=None if queued else os.getpid(),
                )
        except IntegrityError:
            raise AlreadyRunning(system) from None
        except OperationalError as exc:
            # SQLite's shared-cache "table is locked" is not covered by the busy timeout;
            # another writer's short page transaction ends soon, so wait a moment.
            # "database is locked" means the busy timeout (30 s) already ran out: give up.
            if "table is locked" not in str(exc) or attempt == 49 or connection.in_atomic_block:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def start_claimed(run: SyncRun) -> bool:
    """A run claimed earlier (queued by the web UI) starts running in this process; ``False``
    when it was cancelled or expired while it waited."""
    now = timezone.now()
    started = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    run.refresh_from_db()
    return bool(started)


def active_run(system: AccountingSystem) -> SyncRun | None:
    """The system's queued or running sync, if any."""
    return SyncRun.objects.filter(system=system, status__in=SyncRun.ACTIVE).first()
