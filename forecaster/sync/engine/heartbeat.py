"""A running run's heartbeat, its claim and the Cancel button.

    heartbeat = Heartbeat(run.pk); heartbeat.start()   # a thread beats every HEARTBEAT_EVERY s
    heartbeat.check()       # between steps: ClaimLost or SyncCancelled when the run must end
    heartbeat.stop()
    request_cancel(run)     # the Cancel button

A page may wait minutes for WHMCS; the thread keeps the heartbeat fresh meanwhile, so a live
run is never taken for dead, and it notices at once when the run lost its claim (something
marked it interrupted). The thread runs only outside a transaction of the caller (a test's):
its own connection could not see the caller's uncommitted run.
"""

from __future__ import annotations

import contextlib
import threading
import time

from django.db import OperationalError, connection, connections
from django.utils import timezone
from django.utils.translation import gettext_noop

from forecaster.sync.engine.errors import ClaimLost, SyncCancelled
from forecaster.sync.models import SyncRun

HEARTBEAT_EVERY = 30.0  # seconds; far below claims.STALE_AFTER
CANCEL_CHECK_EVERY = 2.0  # seconds between looks at the Cancel flag from the engine's thread


class Heartbeat:
    """See the module docstring."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.lost = threading.Event()
        self.cancelled = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_look = 0.0

    def start(self) -> None:
        if connection.in_atomic_block:
            return
        self._thread = threading.Thread(target=self._beat, name=f"sync-heartbeat-{self.run_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def _beat(self) -> None:
        try:
            while not self._done.wait(HEARTBEAT_EVERY):
                with contextlib.suppress(OperationalError):  # a busy database: beat next time
                    live = SyncRun.objects.filter(pk=self.run_id, status=SyncRun.Status.RUNNING)
                    if not live.update(heartbeat_at=timezone.now()):
                        self.lost.set()
                        return
        finally:
            connections.close_all()

    def check(self) -> None:
        """Raise :class:`ClaimLost` or :class:`SyncCancelled` when the run must end now."""
        if self.lost.is_set():
            raise ClaimLost()
        now = time.monotonic()
        if now - self._last_look >= CANCEL_CHECK_EVERY:
            self._last_look = now
            state = SyncRun.objects.filter(pk=self.run_id).values_list("status", "cancel_requested").first()
            if state is None or state[0] != SyncRun.Status.RUNNING:
                raise ClaimLost()
            if state[1]:
                self.cancelled.set()
        if self.cancelled.is_set():
            raise SyncCancelled()


def request_cancel(run: SyncRun) -> bool:
    """Ask an active run to stop (the Cancel button). A queued run is interrupted at once; a
    running one stops at its next step, interrupted and resumable. ``False`` if it had ended."""
    now = timezone.now()
    if SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.INTERRUPTED,
        finished_at=now,
        cancel_requested=True,
        error_class="Cancelled",
        error_message=gettext_noop("The sync was cancelled before it started."),
    ):
        return True
    return bool(
        SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(cancel_requested=True)
    )
