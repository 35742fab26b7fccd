"""``run_sync``: the public entry point — claim, run, record the outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable

from forecaster.sync.engine.claims import claim, start_claimed
from forecaster.sync.engine.core import Engine
from forecaster.sync.engine.full import join_note
from forecaster.sync.engine.heartbeat import Heartbeat
from forecaster.sync.engine.outcome import record_outcome
from forecaster.sync.engine.staging import lean_sqlite
from forecaster.sync.ledger import Ledger, keep_untaxed_paid
from forecaster.sync.models import SyncRun
from forecaster.systems.models import AccountingSystem
from forecaster.systems.source import InvoiceSource


def run_sync(
    system: AccountingSystem,
    mode: str = "incremental",
    trigger: str = "cli",
    *,
    client: InvoiceSource | None = None,
    on_progress: Callable[[SyncRun], None] | None = None,
    run: SyncRun | None = None,
    stop: threading.Event | None = None,
    resume: bool = True,
    prefetch: bool = True,
) -> SyncRun:
    """Run one sync of ``system`` to its end and return its ``SyncRun``.

    ``mode`` is ``"full"`` or ``"incremental"``; ``trigger`` ``"user"``, ``"schedule"`` or
    ``"cli"``. Pass ``run`` to execute a run already claimed (queued by the web UI). ``client``
    defaults to the source of the system's type, ``system.type.make_client(system)``.
    ``resume=False`` makes a full sync start over instead of continuing an interrupted one.
    Raises only :class:`AlreadyRunning`.
    """
    if run is None:
        run = claim(system, mode, trigger)
    elif not start_claimed(run):
        return run  # cancelled (or expired) while it waited for the worker
    own_client = client is None
    outcome: BaseException | None = None
    restore = lean_sqlite()
    heartbeat = Heartbeat(run.pk)
    try:
        if client is None:
            client = _client_for(system)
        engine = Engine(system, run, client, on_progress=on_progress, stop=stop, prefetch=prefetch)
        engine.heartbeat = heartbeat
        heartbeat.start()
        if run.mode == SyncRun.Mode.FULL:
            engine.full(resume=resume)
        else:
            engine.incremental()
        engine.pipeline()  # the unpaid invoices due ahead, once the paid ones are exact
        # Deposits, mass payments and refunds: what the role lets the sync see beyond paid invoices.
        full = run.mode == SyncRun.Mode.FULL
        Ledger(system, client, full=full, check=engine._check_stop, removed=run.removed).update()
        keep_untaxed_paid(system)  # once per run: counting per window cost 0.4 s each at 10**6
    except BaseException as exc:  # recorded below; KeyboardInterrupt included (CLI Ctrl-C)
        outcome = exc
    finally:
        heartbeat.stop()
        restore()
        if client is not None:
            run.requests = client.requests_made
            for note in getattr(client, "notes", ()):  # how WHMCS had to be read (paging quirks)
                run.note = join_note(run.note, note)
        if own_client and client is not None:
            client.close()
    record_outcome(system, run, outcome)
    if outcome is not None and not isinstance(outcome, Exception | KeyboardInterrupt):
        raise outcome
    return run


def _client_for(system: AccountingSystem) -> InvoiceSource:
    return system.type.make_client(system)
