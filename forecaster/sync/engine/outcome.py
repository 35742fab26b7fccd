"""How a run ends: its status, a message and a fix a user can act on, and the system's last result.

    record_outcome(system, run, exc)     # exc: None (succeeded) or what stopped the run
    summary(run)                         # one line for the CLI, the list of systems and logs

Failures are described by the table ``FAILURES`` (first matching class wins): each entry turns
an exception into ``(error_class, message, fix)``. Anything not in the table is unexpected: only
its class name is kept (its text could quote data) and the traceback goes to the log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext_noop, override

from forecaster.lib.crypto import DecryptionError
from forecaster.sync.engine.errors import ClaimLost, SyncCancelled, SyncFailed, SyncStopped
from forecaster.sync.models import SyncRun
from forecaster.systems.errors import RemoteError
from forecaster.systems.models import AccountingSystem
from forecaster.systems.source import FormatChanged

log = logging.getLogger("forecaster.sync.engine")

Described = tuple[str, str, str]  # (error_class, message, fix)


def _remote(exc: RemoteError) -> Described:
    return exc.kind, exc.message, exc.fix


def _format_changed(exc: FormatChanged) -> Described:
    fix = gettext_noop("Check that the accounting system runs a supported version; report this.")
    return "ResponseFormatChanged", str(exc), fix


def _decryption(exc: DecryptionError) -> Described:
    message = gettext_noop("The stored API secret cannot be decrypted (the key changed?).")
    return "DecryptionError", message, gettext_noop("Enter the API secret again in the system's settings.")


def _sync_failed(exc: SyncFailed) -> Described:
    return "SyncFailed", exc.message, exc.fix


def _db_reason(exc: OperationalError) -> str:
    # The database's own words ("disk I/O error", "database is locked") quote no data.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _database(exc: OperationalError) -> Described:
    reason = _db_reason(exc)
    message = gettext_noop(
        "The database refused to save the sync (%(reason)s); the pages already imported are intact."
    ) % {"reason": reason}
    fix = gettext_noop(
        "Check free disk space and that no other program holds the "
        "database, then run the sync again (a full sync resumes)."
    )
    return "DatabaseError", message, fix


FAILURES: tuple[tuple[type[BaseException], Callable[[Any], Described]], ...] = (
    (RemoteError, _remote),
    (FormatChanged, _format_changed),
    (DecryptionError, _decryption),
    (SyncFailed, _sync_failed),
    (OperationalError, _database),
)
INTERRUPTED: Described = (
    "Interrupted",
    gettext_noop("The sync was stopped before it finished."),
    gettext_noop("Start it again: a full sync continues from its last completed step."),
)
CANCELLED: Described = (
    "Cancelled",
    gettext_noop("The sync was cancelled."),
    gettext_noop("Start it again when you wish: a full sync continues from its last completed step."),
)
UNEXPECTED_MESSAGE = gettext_noop("An unexpected error stopped the sync; the server log has details.")
UNEXPECTED_FIX = gettext_noop("Try again; if it keeps failing, report it with the log.")


def failed_unexpectedly(run: SyncRun) -> bool:
    """Whether ``run`` failed for a reason the ``FAILURES`` table does not know: nothing the
    remote side said, but the sync's own processing (of the data it had read, maybe)."""
    return run.status == SyncRun.Status.FAILED and run.error_message == UNEXPECTED_MESSAGE


def describe(exc: BaseException) -> Described | None:
    """``(error_class, message, fix)`` of a failure by the ``FAILURES`` table; ``None`` when
    the failure is unexpected."""
    for kind, explain in FAILURES:
        if isinstance(exc, kind):
            return explain(exc)
    return None


def _failure(system: AccountingSystem, run: SyncRun, exc: BaseException) -> Described:
    if isinstance(exc, SyncCancelled):
        return CANCELLED
    if isinstance(exc, SyncStopped | KeyboardInterrupt):
        return INTERRUPTED
    described = describe(exc)
    if isinstance(exc, OperationalError):
        log.error(
            "sync %s of system %s: the database refused a write: %s", run.pk, system.pk, _db_reason(exc)
        )
    if described is None:
        # Unexpected: keep the class only (its text could quote data) and log the traceback.
        log.error("sync %s of system %s failed", run.pk, system.pk, exc_info=exc)
        return type(exc).__name__, UNEXPECTED_MESSAGE, UNEXPECTED_FIX
    return described


def record_outcome(system: AccountingSystem, run: SyncRun, exc: BaseException | None) -> None:
    """Finish ``run`` (succeeded, interrupted or failed) and the system's last-sync fields."""
    if isinstance(exc, ClaimLost):
        # Another process marked this run interrupted (and may run the system now): leave the
        # run and the system as they are.
        log.warning("sync %s of system %s lost its claim and ended without finishing", run.pk, system.pk)
        run.refresh_from_db()
        return
    if isinstance(exc, OperationalError):
        _make_room_for_outcome()
    now = timezone.now()
    run.finished_at = run.heartbeat_at = now
    if exc is None:
        run.status = SyncRun.Status.SUCCEEDED
    else:
        interrupted = isinstance(exc, SyncStopped | SyncCancelled | KeyboardInterrupt)
        run.status = SyncRun.Status.INTERRUPTED if interrupted else SyncRun.Status.FAILED
        error_class, message, fix = _failure(system, run, exc)
        run.error_class, run.error_message, run.error_fix = error_class[:100], message[:1000], fix[:500]
    # Only a run that still owns its claim finishes (a conditional UPDATE): a run marked
    # interrupted meanwhile must not turn into "succeeded" and overwrite the system's status.
    values = {f.attname: getattr(run, f.attname) for f in SyncRun._meta.concrete_fields if not f.primary_key}
    if not SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(**values):
        log.warning("sync %s of system %s lost its claim; its outcome is dropped", run.pk, system.pk)
        run.refresh_from_db()
        return
    _record_on_system(system, run, now, ok=exc is None)


def _make_room_for_outcome() -> None:
    """After SQLite refused a write (a full disk), copy the write-ahead log into the database
    and restart it, so the small outcome write reuses the log's space instead of growing it.

    The copy usually fits: a full sync's stage reuses the pages the previous stage freed in
    the database file. Without this, whether the outcome fitted depended on how much room the
    last page commit happened to leave. Best effort: any error leaves things as they were.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    with contextlib.suppress(DatabaseError), connection.cursor() as cur:
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _record_on_system(system: AccountingSystem, run: SyncRun, now: Any, *, ok: bool) -> None:
    message = summary(run)
    fields: dict[str, Any] = {"last_sync_at": now, "last_sync_ok": ok, "last_sync_message": message[:500]}
    if ok and run.remote_total is not None:
        fields["remote_total"] = run.remote_total
    AccountingSystem.objects.filter(pk=system.pk).update(**fields)
    for key, value in fields.items():
        setattr(system, key, value)
    log.info("sync %s of system %s: %s", run.pk, system.pk, message)


def summary(run: SyncRun) -> str:
    """One line for the CLI, the list of systems and logs (never client data or secrets).

    English, like every stored sync text; a page shows it in the reader's language
    (:func:`forecaster.sync.texts.shown`), so the templates are marked with ``gettext_noop``.
    """
    with override("en"):
        mode = str(run.get_mode_display())
        status = str(run.get_status_display()).lower()
    counts = {"mode": mode, "inserted": run.inserted, "updated": run.updated, "removed": run.removed}
    counts |= {"quarantined": run.quarantined, "requests": run.requests}
    if run.status == SyncRun.Status.SUCCEEDED:
        if run.quarantined:
            return (
                gettext_noop(
                    "%(mode)s done: %(inserted)s new, %(updated)s changed, %(removed)s removed, "
                    "%(quarantined)s unreadable (quarantined); %(requests)s requests."
                )
                % counts
            )
        return (
            gettext_noop(
                "%(mode)s done: %(inserted)s new, %(updated)s changed, %(removed)s removed; "
                "%(requests)s requests."
            )
            % counts
        )
    if run.status == SyncRun.Status.INTERRUPTED:
        return gettext_noop("%(mode)s interrupted at step %(step)s: %(details)s") % {
            "mode": mode,
            "step": run.step,
            "details": run.error_message,
        }
    if run.status == SyncRun.Status.FAILED:
        details = f"{run.error_message} {run.error_fix}".strip()
        return gettext_noop("%(mode)s failed: %(details)s") % {"mode": mode, "details": details}
    return f"{mode} {status}"
