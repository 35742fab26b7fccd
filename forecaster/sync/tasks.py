"""Background sync jobs (django-tasks). The payload is a run id — never a secret or data.

    run = start_sync(system, "full", "user")   # claims the system, queues the job
    # the worker (`forecaster serve` starts it) executes sync_run(run.pk)

Progress lives in the ``SyncRun`` row, which the web page polls.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from django_tasks import task

from forecaster.sync.engine import claim, run_sync
from forecaster.sync.models import SyncRun
from forecaster.systems.models import AccountingSystem

log = logging.getLogger(__name__)


@task()
def sync_run(run_id: int) -> dict:
    """Execute a queued run; returns ``{"run": id, "status": ...}``."""
    run = SyncRun.objects.select_related("system").filter(pk=run_id).first()
    if run is None or run.status != SyncRun.Status.QUEUED:
        return {"run": run_id, "status": run.status if run else "missing"}
    stop = threading.Event()
    # Stored texts are English whatever page queued the run (an immediate task backend runs it
    # in the request, in the reader's language); pages translate them when they show them.
    with _stop_on_sigterm(stop), translation.override("en"):
        run = run_sync(run.system, run.mode, run.trigger, run=run, stop=stop)
    return {"run": run.pk, "status": run.status}


def start_sync(system: AccountingSystem, mode: str, trigger: str = SyncRun.Trigger.USER) -> SyncRun:
    """Claim ``system`` and queue its sync; raises ``AlreadyRunning`` if one is active."""
    run = claim(system, mode, trigger, queued=True)
    enqueue_run(run)
    run.refresh_from_db()
    return run


def enqueue_run(run: SyncRun) -> None:
    """Hand a queued run to the worker. The database backend stores the job in the caller's
    transaction, so the job and its run become visible to the worker together."""
    try:
        result = sync_run.enqueue(run.pk)
    except Exception as exc:
        log.exception("could not queue sync run %s", run.pk)
        SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.FAILED,
            finished_at=timezone.now(),
            error_class=type(exc).__name__[:100],
            error_message=gettext_noop("The sync could not be handed to the background worker."),
            error_fix=gettext_noop("Check the server log and that the database is writable."),
        )
        return
    SyncRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """Let SIGTERM end the sync between two steps (the worker then exits as usual)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
