"""What the service does about runs left behind when it starts.

A run whose process was killed (SIGKILL of ``serve`` and its worker, a power cut) stays
"running" in the database: the page would show "step 43 of 177" until the next sync of that
system. When the service starts it marks such runs of this host interrupted — a full sync then
resumes from its last completed step.
"""

from __future__ import annotations

import logging
import socket

from django.utils import timezone
from django.utils.translation import gettext_noop

from forecaster.sync.engine.claims import _process_alive
from forecaster.sync.models import SyncRun

log = logging.getLogger(__name__)

MESSAGE = gettext_noop("The sync stopped without finishing (its process ended); it can be resumed.")


def interrupt_orphans() -> int:
    """Mark running runs of this host whose process is gone as interrupted; returns how many."""
    now = timezone.now()
    here = socket.gethostname()
    n = 0
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, host=here)
    for run_id, pid in running.values_list("id", "pid"):
        if pid is None or not _process_alive(pid):
            n += SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING).update(
                status=SyncRun.Status.INTERRUPTED,
                finished_at=now,
                error_class="Stale",
                error_message=MESSAGE,
                error_fix=gettext_noop("Start it again: a full sync continues from its last completed step."),
            )
    if n:
        log.warning("%d sync run(s) left running by a process that ended were marked interrupted", n)
    return n
