"""The sync engine: bring the local copy of a system's paid invoices to exactly WHMCS's.

Call it from anywhere (CLI, background task, test); it never sees a request::

    run = run_sync(system, mode="full", trigger="cli")            # -> SyncRun (finished)
    run = run_sync(system, mode="incremental", trigger="schedule",
                   client=my_client, on_progress=lambda run: print(run.step, run.steps_total))

``run_sync`` claims the system (one active run per system, enforced by the database; a second
start raises :class:`AlreadyRunning`), runs, and records the outcome in the ``SyncRun`` and in the
system's ``last_sync_*`` fields. It returns the run whether it succeeded or failed; only
``AlreadyRunning`` is raised. ``stop`` (a ``threading.Event``) ends a run cleanly between steps,
leaving it ``interrupted`` and resumable.

Full sync
    Pages ``GetInvoices status=Paid orderby=id order=asc``, ``Step`` new invoices per request
    ("step k of n", n = ceil(totalresults / Step)). Every page after the first starts one row
    early (``limitstart = next_offset - 1``): that overlap row must be the last id already read
    (or an earlier one). If the page starts *after* it, invoices before our position left the
    paid set while we paged and rows were skipped, so the offset backs off by a Step and the page
    is read again (bounded; each counted in ``SyncRun.drift``). Rows are deduplicated by id.
    Each page's rows go into ``StagedInvoice`` and the checkpoint (``next_offset``, ``last_id``,
    ``step``) is written *in the same transaction*, so a killed sync resumes from its last
    committed step, re-reading one row. Paging ends on an empty or short page or when
    ``start + returned >= totalresults``, with a request ceiling. At the end one transaction
    switches: invoices not in the stage are deleted (they stopped being Paid: refunded,
    cancelled, deleted — the run records how many), new ones inserted, changed ones updated
    (``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE`` something differs, so unchanged rows
    keep the exchange rate they were converted with), and the report aggregates refreshed.
    Until then reports show the previous figures. When the remote changed during paging
    (``totalresults`` moved or an overlap mismatched) the cheap check below runs right after
    the switch to catch changes in the part already read.

Sync (cheap, incremental)
    1. Read the newest invoices: ``order=desc``, Step per request, until a page reaches an id
       we already hold (or the bottom). Each page is a complete picture of an id range, so the
       local rows in that range are replaced by exactly the page (new, late-paid, changed and
       no-longer-paid invoices in the newest range are all handled). ``b`` = the lowest id read.
    2. Prove the older part: with ``Lb`` local invoices below ``b``, ask for the two rows at
       ascending positions ``Lb-1`` and ``Lb``. They must be our highest id below ``b`` and
       ``b`` itself; then the remote holds as many paid invoices below ``b`` as we do, up to the
       same id. That is the whole "nothing new" sync: 2 requests (d new: ceil((d+1)/Step) + 1).
    3. Otherwise bisect with one-row requests (about log2(n)) for the first position where
       the remote id differs from ours, read one Step page from there, replace that id range,
       and check again — at most a few times, then fall back to a full sync (recorded in the
       run's note) rather than be wrong.
    Limits: a refund balanced by a late payment below ``b`` keeps both counts and positions
    equal and escapes the cheap check; the daily schedule therefore runs a full reconciliation
    every ``FULL_RECONCILE_DAYS`` (reliability R10). If ``totalresults`` changes during a cheap
    sync it starts over once, then falls back to a full sync.

Removed invoices are deleted from ``Invoice`` (the product keeps only the paid set; the
history of each run says how many left).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from forecaster.lib.money import convert
from forecaster.reports import aggregates
from forecaster.reports.rates import RateBook
from forecaster.sync.models import PAID, Invoice, QuarantinedRecord, StagedInvoice, SyncRun
from forecaster.systems.errors import RemoteError
from forecaster.systems.models import AccountingSystem
from forecaster.systems.whmcs.records import (
    BadRecord,
    FormatChanged,
    InvoiceRecord,
    invoice_id,
    parse_invoice,
    parse_page,
    plain_paid_fields,
)

log = logging.getLogger(__name__)

# A running sync writes a heartbeat at least once per step; one silent for this long was
# killed (SIGKILL, power loss) and must not block the system forever.
STALE_AFTER = timedelta(minutes=10)
# A queued run waits for the worker; one waiting this long will never start.
QUEUED_STALE_AFTER = timedelta(hours=6)
# Full-sync page requests in flight at once (the next page and a guess at the one after);
# the machine's second core then fetches and decodes while this thread parses and writes.
AHEAD = 2
MAX_DRIFT_RETRIES = 8  # re-reads of one step when the remote shifts under us
MAX_REPAIRS = 4  # bisection repairs per cheap sync before falling back to a full sync
MAX_CHEAP_PAGES = 50  # newest pages a cheap sync reads before a full sync is cheaper
# Content compared to decide whether a held invoice changed (rate/base amounts excluded: a
# rate change is applied to history only on request).
CONTENT = (
    "number",
    "date",
    "date_paid",
    "status",
    "subtotal",
    "tax",
    "tax2",
    "credit",
    "total",
    "taxrate",
    "taxrate2",
    "currency",
)
STORED = (*CONTENT, "rate", "net_base", "tax_base")
# SyncRun fields a full-sync page writes with its rows (its checkpoint), in SQL order.
CHECKPOINT = (
    "next_offset",
    "last_id",
    "step",
    "pages",
    "steps_total",
    "first_total",
    "remote_total",
    "requests",
    "quarantined",
    "drift",
    "heartbeat_at",
)


class AlreadyRunning(Exception):
    """A sync of this system is queued or running."""

    def __init__(self, system: AccountingSystem) -> None:
        super().__init__(f"A sync of {system.name} is already running.")


class SyncStopped(Exception):
    """The run was asked to stop (SIGTERM, Ctrl-C) between two steps."""


class SyncFailed(Exception):
    """A failure of the sync itself (not of the remote), with a message and a fix."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class PageSource(Protocol):
    """What the engine needs from a client (``WhmcsClient`` or a test double)."""

    requests_made: int

    def get_invoices(
        self,
        *,
        limitstart: int = 0,
        limitnum: int = 25,
        status: str = "Paid",
        orderby: str = "id",
        order: str = "asc",
    ) -> Any: ...


def _fault(point: str) -> None:
    """Statement boundaries of a page commit; tests patch this to inject a crash (R1, R4)."""


# --- claiming a system (R11) -------------------------------------------------------------------


def expire_stale(system_id: int, now: datetime | None = None) -> int:
    """Mark runs left active by a killed process as interrupted; returns how many."""
    now = now or timezone.now()
    message = "The sync stopped without finishing (its process ended); it can be resumed."
    running = SyncRun.objects.filter(
        system_id=system_id, status=SyncRun.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    queued = SyncRun.objects.filter(
        system_id=system_id, status=SyncRun.Status.QUEUED, created_at__lt=now - QUEUED_STALE_AFTER
    )
    n = running.update(
        status=SyncRun.Status.INTERRUPTED, finished_at=now, error_class="Stale", error_message=message
    )
    here = socket.gethostname()
    for run_id, pid in SyncRun.objects.filter(
        system_id=system_id,
        status=SyncRun.Status.RUNNING,
        host=here,
        pid__isnull=False,
    ).values_list("id", "pid"):
        if not _process_alive(pid):
            n += SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING).update(
                status=SyncRun.Status.INTERRUPTED, finished_at=now, error_class="Stale", error_message=message
            )
    n += queued.update(
        status=SyncRun.Status.INTERRUPTED,
        finished_at=now,
        error_class="Stale",
        error_message="The sync waited too long for the background worker.",
        error_fix="Check that `forecaster serve` (or `forecaster db_worker`) runs.",
    )
    return n


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


def active_run(system: AccountingSystem) -> SyncRun | None:
    """The system's queued or running sync, if any."""
    return SyncRun.objects.filter(system=system, status__in=SyncRun.ACTIVE).first()


# --- the public entry point ----------------------------------------------------------------------


def run_sync(
    system: AccountingSystem,
    mode: str = "incremental",
    trigger: str = "cli",
    *,
    client: PageSource | None = None,
    on_progress: Callable[[SyncRun], None] | None = None,
    run: SyncRun | None = None,
    stop: threading.Event | None = None,
    resume: bool = True,
    prefetch: bool = True,
) -> SyncRun:
    """Run one sync of ``system`` to its end and return its ``SyncRun``.

    ``mode`` is ``"full"`` or ``"incremental"``; ``trigger`` ``"user"``, ``"schedule"`` or
    ``"cli"``. Pass ``run`` to execute a run already claimed (queued by the web UI). ``client``
    defaults to ``WhmcsClient.for_system(system)``. ``resume=False`` makes a full sync start over
    instead of continuing an interrupted one. Raises only :class:`AlreadyRunning`.
    """
    if run is None:
        run = claim(system, mode, trigger)
    else:
        now = timezone.now()
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        run.refresh_from_db()
    own_client = client is None
    outcome: BaseException | None = None
    restore = _lean_sqlite()
    try:
        if client is None:
            from forecaster.systems.whmcs.client import WhmcsClient

            client = WhmcsClient.for_system(system)
        engine = Engine(system, run, client, on_progress=on_progress, stop=stop, prefetch=prefetch)
        if run.mode == SyncRun.Mode.FULL:
            engine.full(resume=resume)
        else:
            engine.incremental()
    except BaseException as exc:  # recorded below; KeyboardInterrupt included (CLI Ctrl-C)
        outcome = exc
    finally:
        restore()
        if client is not None:
            run.requests = client.requests_made
        if own_client and client is not None:
            client.close()
    _finish(system, run, outcome)
    if outcome is not None and not isinstance(outcome, Exception | KeyboardInterrupt):
        raise outcome
    return run


def _finish(system: AccountingSystem, run: SyncRun, exc: BaseException | None) -> None:
    now = timezone.now()
    run.finished_at = now
    run.heartbeat_at = now
    if exc is None:
        run.status = SyncRun.Status.SUCCEEDED
    elif isinstance(exc, SyncStopped | KeyboardInterrupt):
        run.status = SyncRun.Status.INTERRUPTED
        run.error_class = "Interrupted"
        run.error_message = "The sync was stopped before it finished."
        run.error_fix = "Start it again: a full sync continues from its last completed step."
    else:
        run.status = SyncRun.Status.FAILED
        if isinstance(exc, RemoteError):
            run.error_class = exc.kind
            run.error_message = exc.message[:1000]
            run.error_fix = exc.fix[:500]
        elif isinstance(exc, FormatChanged):
            run.error_class = "ResponseFormatChanged"
            run.error_message = str(exc)[:1000]
            run.error_fix = "Check that the system runs a supported WHMCS version; report this."
        elif type(exc).__name__ == "DecryptionError":
            run.error_class = "DecryptionError"
            run.error_message = "The stored API secret cannot be decrypted (the key changed?)."
            run.error_fix = "Enter the API secret again in the system's settings."
        elif isinstance(exc, SyncFailed):
            run.error_class = "SyncFailed"
            run.error_message = exc.message[:1000]
            run.error_fix = exc.fix[:500]
        elif isinstance(exc, OperationalError):
            # The database's own words ("disk I/O error", "database is locked") quote no data.
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            log.error("sync %s of system %s: the database refused a write: %s", run.pk, system.pk, reason)
            run.error_class = "DatabaseError"
            run.error_message = (
                f"The database refused to save the sync ({reason}); the pages already imported are intact."
            )
            run.error_fix = (
                "Check free disk space and that no other program holds the "
                "database, then run the sync again (a full sync resumes)."
            )
        else:
            # Unexpected: keep the class only (its text could quote data) and log the traceback.
            log.error("sync %s of system %s failed", run.pk, system.pk, exc_info=exc)
            run.error_class = type(exc).__name__[:100]
            run.error_message = "An unexpected error stopped the sync; the server log has details."
            run.error_fix = "Try again; if it keeps failing, report it with the log."
    run.save()
    message = summary(run)
    fields: dict[str, Any] = {
        "last_sync_at": now,
        "last_sync_ok": exc is None,
        "last_sync_message": message[:500],
    }
    if exc is None and run.remote_total is not None:
        fields["remote_total"] = run.remote_total
    AccountingSystem.objects.filter(pk=system.pk).update(**fields)
    for key, value in fields.items():
        setattr(system, key, value)
    log.info("sync %s of system %s: %s", run.pk, system.pk, message)


def summary(run: SyncRun) -> str:
    """One line for the CLI, the list of systems and logs (never client data or secrets)."""
    if run.status == SyncRun.Status.SUCCEEDED:
        text = (
            f"{run.get_mode_display()} done: {run.inserted} new, {run.updated} changed, {run.removed} removed"
        )
        if run.quarantined:
            text += f", {run.quarantined} unreadable (quarantined)"
        return f"{text}; {run.requests} requests."
    if run.status == SyncRun.Status.INTERRUPTED:
        return f"{run.get_mode_display()} interrupted at step {run.step}: {run.error_message}"
    if run.status == SyncRun.Status.FAILED:
        return f"{run.get_mode_display()} failed: {run.error_message} {run.error_fix}".strip()
    return f"{run.get_mode_display()} {run.get_status_display().lower()}"


# --- the engine ----------------------------------------------------------------------------------


@dataclass
class Page:
    """A parsed answer: ``ids`` in answer order (``None`` for an unreadable id)."""

    total: int
    start: int
    limit: int
    returned: int
    ids: list[int | None]
    records: list[InvoiceRecord]
    bad: list[BadRecord]
    # With ``fetch(..., staged=True)``: the Paid rows as StagedInvoice parameters, one per id
    # (the last one wins), instead of ``records``.
    staged: dict[int, tuple] | None = None

    @property
    def short(self) -> bool:
        return self.returned < self.limit


class Engine:
    """One run's work, as steps a test can drive: ``full_step()``, ``switch()``, ``incremental()``."""

    def __init__(
        self,
        system: AccountingSystem,
        run: SyncRun,
        client: PageSource,
        *,
        on_progress: Callable[[SyncRun], None] | None = None,
        stop: threading.Event | None = None,
        prefetch: bool = True,
    ) -> None:
        self.system = system
        self.run = run
        self.client = client
        self.on_progress = on_progress
        self.stop = stop
        self.prefetch = prefetch
        self.size = max(1, int(system.step))
        self.rates = RateBook(system)
        self._adapt_date = connection.ops.adapt_datefield_value
        # The text fast path writes values as SQLite's Decimal/date adapters would print them;
        # other databases get typed values.
        self._plain_text = connection.vendor == "sqlite"
        self._rate_text: dict[str, tuple[str, bool, Decimal]] = {}
        self._stage_sql_cache: dict[int, str] = {}
        self._batch = self._stage_rows_per_statement()
        self._adapt_datetime = connection.ops.adapt_datetimefield_value
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.totals: set[int] = set()
        self._resumed = False  # set by prepare_full when it continues an interrupted stage
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: deque[tuple[tuple, Future]] = deque()  # requests in flight, oldest first
        self._first_request: int | None = None
        self._last_total: int | None = None
        self._last_read: int | None = None  # the last id of the page committed last

    # -- remote reads ----------------------------------------------------------------------

    def _request(self, start: int, limit: int, order: str = "asc") -> Any:
        return self.client.get_invoices(
            limitstart=start, limitnum=limit, status=PAID, orderby="id", order=order
        )

    def fetch(self, start: int, limit: int, order: str = "asc", *, staged: bool = False) -> Page:
        """One page, parsed; from the prefetched request when it asked exactly this.

        ``staged=True`` (full sync) fills ``Page.staged`` with rows ready for the stage
        instead of ``Page.records``.
        """
        key = (start, limit, order)
        raw = None
        while self._ahead:
            ahead_key, future = self._ahead.popleft()
            if ahead_key == key:
                raw = future.result()
                break
            _settle(future)  # a guess that did not come true (drift, a short page)
        if raw is None:
            raw = self._request(start, limit, order)
        if staged:
            return self._parse_staged(raw, start, limit)
        return self._parse(raw, start, limit)

    def fetch_ahead(self, start: int, limit: int, order: str = "asc") -> None:
        """Start the request for a later page while this one is written (``AHEAD`` at most)."""
        key = (start, limit, order)
        if not self.prefetch or len(self._ahead) >= AHEAD or any(k == key for k, _ in self._ahead):
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="sync-prefetch")
        self._ahead.append((key, self._pool.submit(self._request, start, limit, order)))

    def close(self) -> None:
        while self._ahead:
            _settle(self._ahead.popleft()[1])
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _parse(self, raw: Any, start: int, limit: int) -> Page:
        good, bad = parse_page(raw.records, self.tz)
        ids: list[int | None] = []
        for item in raw.records:
            ids.append(invoice_id(item.get("id")) if isinstance(item, dict) else None)
        self.totals.add(raw.total)
        self.run.remote_total = raw.total
        paid = [r for r in good if r.status.lower() == "paid"]
        return Page(
            total=raw.total,
            start=start,
            limit=limit,
            returned=len(raw.records),
            ids=ids,
            records=paid,
            bad=bad,
        )

    def _parse_staged(self, raw: Any, start: int, limit: int) -> Page:
        """Like ``_parse``, straight into stage rows: the per-row cost of a full sync."""
        stage = self.run.stage
        plain = plain_paid_fields if self._plain_text else None
        tz = self.tz
        ids: list[int | None] = []
        rows: dict[int, tuple] = {}
        bad: list[BadRecord] = []
        for item in raw.records:
            fields = plain(item, tz) if plain is not None else None
            if fields is not None:
                ids.append(fields[0])
                rows[fields[0]] = self._plain_stage_values(stage, fields)
                continue
            # Only a valid id positions the pages (2**63 would not fit the checkpoint).
            ids.append(invoice_id(item.get("id")) if isinstance(item, dict) else None)
            try:
                if not isinstance(item, dict):
                    raise BadRecord(None, "invoice is not an object")
                rec = parse_invoice(item, tz)
            except BadRecord as exc:
                bad.append(exc)
                continue
            if rec.status.lower() == "paid":
                rows[rec.whmcs_id] = self._stage_values(stage, rec)
        if raw.records and len(bad) == len(raw.records):
            parse_page(raw.records, tz)  # raises FormatChanged when a field is gone everywhere
        self.totals.add(raw.total)
        self.run.remote_total = raw.total
        return Page(
            total=raw.total,
            start=start,
            limit=limit,
            returned=len(raw.records),
            ids=ids,
            records=[],
            bad=bad,
            staged=rows,
        )

    def _plain_stage_values(self, stage: int, fields: tuple) -> tuple:
        """Stage parameters from :func:`plain_paid_fields` text: the same values, as text,
        that ``_stage_values`` gives the driver for the same invoice (SQLite only)."""
        (whmcs_id, number, day, paid, subtotal, tax, tax2, credit, total, taxrate, taxrate2, currency) = (
            fields
        )
        rate = self._rate_text.get(currency)
        if rate is None:
            value = self.rates.rate(currency, date.fromisoformat(day))
            rate = (str(value), value == 1, value)
            if self.rates.choice(currency).kind != "ecb":  # ECB rates change by the day
                self._rate_text[currency] = rate
        text, one, value = rate
        if one:
            # amount × 1 rounded half-up to the cent is the amount itself (2 places already);
            # Decimal addition only when it can change the text (a tax2, or a negative zero).
            net = subtotal
            tax_base = tax if tax2 == "0.00" and tax != "-0.00" else str(Decimal(tax) + Decimal(tax2))
        else:
            net = str(convert(Decimal(subtotal), value))
            tax_base = str(convert(Decimal(tax) + Decimal(tax2), value))
        return (
            stage,
            whmcs_id,
            number,
            day,
            paid,
            PAID,
            subtotal,
            tax,
            tax2,
            credit,
            total,
            taxrate,
            taxrate2,
            currency,
            text,
            net,
            tax_base,
        )

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise SyncStopped()

    def _progress(self) -> None:
        self.run.requests = self.client.requests_made
        if self.on_progress is not None:
            self.on_progress(self.run)

    def _row(self, rec: InvoiceRecord) -> dict[str, Any]:
        rate = self.rates.rate(rec.currency, rec.date)
        return {
            "whmcs_id": rec.whmcs_id,
            "number": rec.number,
            "date": rec.date,
            "date_paid": rec.date_paid,
            "status": PAID,
            "subtotal": rec.subtotal,
            "tax": rec.tax,
            "tax2": rec.tax2,
            "credit": rec.credit,
            "total": rec.total,
            "taxrate": rec.taxrate,
            "taxrate2": rec.taxrate2,
            "currency": rec.currency,
            "rate": rate,
            "net_base": convert(rec.subtotal, rate),
            "tax_base": convert(rec.tax + rec.tax2, rate),
        }

    def _stage_sql(self, rows: int) -> str:
        """``INSERT`` of ``rows`` staged rows in one statement (cached per size)."""
        sql = self._stage_sql_cache.get(rows)
        if sql is None:
            if len(self._stage_sql_cache) >= 8:  # sizes other than a full page are rare
                self._stage_sql_cache.clear()
            table = connection.ops.quote_name(StagedInvoice._meta.db_table)
            cols = ", ".join(("stage", "whmcs_id", *STORED))
            # SQLite's own placeholders: the statement goes to the driver as it is (Django's
            # %s-to-? rewrite of a 1 700-placeholder statement cost ~1 ms a page).
            mark = "?" if self._plain_text else "%s"
            marks = "(" + ", ".join([mark] * (2 + len(STORED))) + ")"
            updates = ", ".join(f"{c} = excluded.{c}" for c in STORED)
            sql = self._stage_sql_cache[rows] = (
                f"INSERT INTO {table} ({cols}) VALUES {', '.join([marks] * rows)} "  # noqa: S608
                f"ON CONFLICT (stage, whmcs_id) DO UPDATE SET {updates}"
            )
        return sql

    def _stage_rows_per_statement(self) -> int:
        """How many rows one INSERT may carry within the database's parameter limit."""
        limit = connection.features.max_query_params or 30_000
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with contextlib.suppress(AttributeError, sqlite3.Error):  # getlimit: Python 3.11+
                limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(limit, 30_000) // (2 + len(STORED)))

    def _stage_values(self, stage: int, rec: InvoiceRecord) -> tuple:
        """One staged row as database parameters, adapted exactly as the ORM would.

        Decimals go to the driver as ``Decimal`` (Django's own adapters turn them into their
        exact text on SQLite; PostgreSQL takes them as numeric) — never through ``float``.
        """
        rate = self.rates.rate(rec.currency, rec.date)
        if rate == 1:
            # amount × 1 rounded half-up to the cent is the amount itself (2 places already).
            net, tax = rec.subtotal, rec.tax + rec.tax2
        else:
            net, tax = convert(rec.subtotal, rate), convert(rec.tax + rec.tax2, rate)
        paid = rec.date_paid
        return (
            stage,
            rec.whmcs_id,
            rec.number,
            self._adapt_date(rec.date),
            None if paid is None else self._adapt_datetime(paid),
            PAID,
            rec.subtotal,
            rec.tax,
            rec.tax2,
            rec.credit,
            rec.total,
            rec.taxrate,
            rec.taxrate2,
            rec.currency,
            rate,
            net,
            tax,
        )

    def _checkpoint_sql(self) -> str:
        """The page checkpoint as one prepared UPDATE (the ORM's per-call compile showed up)."""
        if not hasattr(self, "_checkpoint_sql_text"):
            table = connection.ops.quote_name(SyncRun._meta.db_table)
            sets = ", ".join(f"{c} = %s" for c in CHECKPOINT)
            self._checkpoint_sql_text = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608
        return self._checkpoint_sql_text

    def _quarantine(self, bad: list[BadRecord]) -> int:
        """Store unreadable records (id + reason only); returns how many."""
        if bad:
            QuarantinedRecord.objects.bulk_create(
                [
                    QuarantinedRecord(
                        system_id=self.system.pk,
                        run_id=self.run.pk,
                        whmcs_id=b.whmcs_id,
                        error=b.reason[:300],
                    )
                    for b in bad
                ]
            )
        return len(bad)

    # -- full sync ------------------------------------------------------------------------

    def full(self, resume: bool = True) -> None:
        """Page everything into a stage, switch atomically, verify if the remote moved."""
        try:
            self.prepare_full(resume)
            while self.full_step():
                self._check_stop()
            self._check_stop()
            self.switch()
        finally:
            self.close()
        if self._resumed:
            # The part staged before the interruption may have changed in WHMCS since (an
            # invoice refunded, a late payment): verify the whole copy, and when the cheap
            # check cannot prove it exact, re-read everything once from the start.
            self._resumed = False
            self.run.note = _join(
                self.run.note, "The part read before the interruption was checked against WHMCS afterwards."
            )
            self.incremental(allow_full=True)
        elif len(self.totals) > 1 or self.run.drift:
            self.run.note = _join(
                self.run.note,
                "WHMCS changed while the sync read it; the newest state was checked afterwards.",
            )
            self.incremental(allow_full=False)

    def prepare_full(self, resume: bool = True) -> None:
        """Choose the stage: continue the last interrupted full sync, or start a new one."""
        run = self.run
        run.mode = SyncRun.Mode.FULL
        # A pass of its own: the request ceiling and the totals seen start afresh (a resumed
        # stage that fails verification is re-read from the start within the same run).
        self._first_request = None
        self._last_total = None
        self.totals = set()
        previous = None
        if resume:
            previous = (
                SyncRun.objects.filter(system=self.system, mode=SyncRun.Mode.FULL)
                .exclude(pk=run.pk)
                .order_by("-created_at", "-id")
                .first()
            )
            if (
                previous is None
                or previous.status not in (SyncRun.Status.FAILED, SyncRun.Status.INTERRUPTED)
                or previous.stage is None
                or previous.next_offset == 0
            ):
                previous = None
        stale = SyncRun.objects.filter(system=self.system, stage__isnull=False).exclude(pk=run.pk)
        if previous is not None:
            stale = stale.exclude(stage=previous.stage)
            run.stage = previous.stage
            run.resumed_from = previous
            for name in ("next_offset", "last_id", "first_total", "step", "steps_total", "pages"):
                setattr(run, name, getattr(previous, name))
            run.note = f"Resumed from step {previous.step}."
            self._resumed = True
        else:
            run.stage = run.pk
            run.next_offset = run.last_id = run.step = run.pages = 0
            run.first_total = None
        if run.first_total is not None:
            self.totals.add(run.first_total)
        old_stages = list(stale.values_list("stage", flat=True).distinct())
        with transaction.atomic():
            if old_stages:
                StagedInvoice.objects.filter(stage__in=old_stages).delete()
                SyncRun.objects.filter(stage__in=old_stages).update(stage=None)
            if previous is None:
                StagedInvoice.objects.filter(stage=run.stage).delete()
            run.heartbeat_at = timezone.now()
            run.save()

    def full_step(self) -> bool:
        """Read and commit one page; ``False`` when the last page has been read."""
        run = self.run
        offset = run.next_offset
        retries = 0
        self._check_budget()
        while True:
            start = offset - 1 if offset > 0 else 0
            limit = self.size + 1 if offset > 0 else self.size
            page = self.fetch(start, limit, staged=True)
            first = page.ids[0] if page.ids else None
            # The overlap row (or an earlier one) must come first; otherwise rows moved back
            # past our position while we paged and some would be skipped.
            if offset == 0 or (first is not None and first <= run.last_id):
                break
            if page.returned == 0 and page.total == 0:
                break
            retries += 1
            run.drift += 1
            if retries > MAX_DRIFT_RETRIES:
                raise SyncFailed(
                    "WHMCS invoices kept changing while the sync read them.",
                    "Run the sync again when WHMCS is quieter.",
                )
            # Back off by what the count says left the paid set (at least one row), doubling
            # on each miss; a whole-page step back would re-read mostly rows we already hold.
            shrunk = (self._last_total or page.total) - page.total
            offset = max(0, offset - max(1, shrunk) * (2 ** min(retries - 1, 10)))
        if offset > 0 and first is not None and first < run.last_id and page.ids[:1] != [run.last_id]:
            run.drift += 1  # rows inserted before our position: harmless duplicates
        end = start + page.returned
        done = page.returned == 0 or page.short or end >= page.total
        if run.first_total is None:
            run.first_total = page.total
        self._last_total = page.total
        new_last = max([run.last_id, *(i for i in page.ids if i is not None)])
        if not done:
            self.fetch_ahead(end - 1, self.size + 1)
            if end + self.size < page.total:
                # Guess the page after: a full next page (the usual case) ends a Step further.
                # Two requests in flight keep WHMCS busy while we parse and write; a wrong
                # guess (a short page, drift) costs one request whose answer is dropped.
                self.fetch_ahead(end - 1 + self.size, self.size + 1)
        if offset > 0 and self._last_read is not None and page.ids[:1] == [self._last_read]:
            # The overlap row was read (and, if unreadable, quarantined) with the page before.
            page.bad = [b for b in page.bad if b.whmcs_id != self._last_read]
        self.commit_page(page, end, new_last)
        self._last_read = page.ids[-1] if page.ids else None
        return not done

    def _check_budget(self) -> None:
        """R8: a request ceiling, whatever the remote does while we page."""
        if self._first_request is None:
            self._first_request = self.client.requests_made
        expected = math.ceil((self.run.first_total or 0) / self.size) + 1
        ceiling = 2 * expected + 4 * MAX_DRIFT_RETRIES + 10
        if self.client.requests_made - self._first_request > ceiling:
            raise SyncFailed(
                "WHMCS invoices kept changing while the sync read them.",
                "Run the sync again when WHMCS is quieter.",
            )

    def commit_page(self, page: Page, next_offset: int, last_id: int) -> None:
        """Stage the page's rows and advance the checkpoint in ONE transaction (R4)."""
        run = self.run
        if page.staged is not None:
            values = list(page.staged.values())  # deduplicated by id within the page
        else:
            rows = {r.whmcs_id: r for r in page.records}  # dedupe within a page
            values = [self._stage_values(run.stage, r) for r in rows.values()]
        steps_total = max(1, math.ceil(page.total / self.size)) if page.total else 0
        # Plain SQL: the ORM's per-field preparation cost 5× the network.
        with transaction.atomic(), connection.cursor() as cur:
            # The driver's cursor on SQLite (the parameters are adapted by the adapters Django
            # registers with the driver, as through its wrapper).
            execute = partial(sqlite3.Cursor.execute, cur.cursor) if self._plain_text else cur.execute
            # Rows go in as few statements as the parameter limit allows (one per page
            # usually): a statement per row hands the GIL to the fetching threads and back
            # once per row, which cost more than the writing itself.
            for i in range(0, len(values), self._batch):
                chunk = values[i : i + self._batch]
                execute(self._stage_sql(len(chunk)), [v for row in chunk for v in row])
            _fault("rows-written")
            quarantined = run.quarantined + self._quarantine(page.bad)
            step = run.step + 1
            # Same order as CHECKPOINT.
            cur.execute(
                self._checkpoint_sql(),
                [
                    next_offset,
                    last_id,
                    step,
                    run.pages + 1,
                    max(steps_total, step),
                    run.first_total,
                    page.total,
                    self.client.requests_made,
                    quarantined,
                    run.drift,
                    self._adapt_datetime(timezone.now()),
                    run.pk,
                ],
            )
            _fault("checkpoint-written")
        # Only after the commit does the in-memory run advance with the database.
        run.quarantined = quarantined
        run.next_offset, run.last_id, run.step, run.pages = next_offset, last_id, step, run.pages + 1
        run.steps_total = max(steps_total, step)
        self._progress()

    def switch(self) -> None:
        """Make the stage the system's invoices in one transaction (R6) and clean it up."""
        run = self.run
        system_id = self.system.pk
        inv = connection.ops.quote_name(Invoice._meta.db_table)
        stg = connection.ops.quote_name(StagedInvoice._meta.db_table)
        cols = ", ".join(STORED)
        differs = " OR ".join(f"{inv}.{c} IS DISTINCT FROM excluded.{c}" for c in CONTENT)
        differs_join = " OR ".join(f"i.{c} IS DISTINCT FROM s.{c}" for c in CONTENT)
        stage = run.stage
        qtn = connection.ops.quote_name(QuarantinedRecord._meta.db_table)
        runs = connection.ops.quote_name(SyncRun._meta.db_table)
        # An invoice unreadable this time keeps its held copy: unreadable is not "not paid".
        kept = (
            f"EXISTS (SELECT 1 FROM {qtn} q JOIN {runs} r ON r.id = q.run_id "  # noqa: S608
            f"WHERE r.stage = %s AND q.whmcs_id = i.whmcs_id)"
        )
        with transaction.atomic(), connection.cursor() as cur:
            # One pass over the stage counts what it holds, what is new and what changed.
            is_new = "CASE WHEN i.id IS NULL THEN 1 ELSE 0 END"
            is_changed = f"CASE WHEN i.id IS NOT NULL AND ({differs_join}) THEN 1 ELSE 0 END"
            cur.execute(
                f"SELECT COUNT(*), COALESCE(SUM({is_new}), 0), "  # noqa: S608
                f"COALESCE(SUM({is_changed}), 0) FROM {stg} s LEFT JOIN {inv} i "
                f"ON i.system_id = %s AND i.whmcs_id = s.whmcs_id WHERE s.stage = %s",
                [system_id, stage],
            )
            staged_count, inserted, updated = cur.fetchone()
            cur.execute(
                f"SELECT COUNT(*) FROM {inv} i WHERE i.system_id = %s AND NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {stg} s WHERE s.stage = %s AND s.whmcs_id = i.whmcs_id) "
                f"AND NOT {kept}",
                [system_id, stage, stage],
            )
            removed = cur.fetchone()[0]
            changed = inserted + removed + updated
            days: set[date] | None = None
            paid_days: set[date] | None = None
            # A few changed days are refreshed one by one; many (a first sync) in one rebuild.
            if 0 < changed <= min(20_000, staged_count // 10 + 100):
                days, paid_days = set(), set()
                # Old values of removed and updated rows, new values of inserted and updated.
                cur.execute(
                    f"SELECT i.date, i.date_paid FROM {inv} i WHERE i.system_id = %s AND "  # noqa: S608
                    f"NOT EXISTS (SELECT 1 FROM {stg} s WHERE s.stage = %s AND "
                    f"s.whmcs_id = i.whmcs_id AND NOT ({differs_join})) AND NOT {kept}",
                    [system_id, stage, stage],
                )
                _collect_days(cur, days, paid_days)
                cur.execute(
                    f"SELECT s.date, s.date_paid FROM {stg} s WHERE s.stage = %s AND "  # noqa: S608
                    f"NOT EXISTS (SELECT 1 FROM {inv} i WHERE i.system_id = %s AND "
                    f"i.whmcs_id = s.whmcs_id AND NOT ({differs_join}))",
                    [stage, system_id],
                )
                _collect_days(cur, days, paid_days)
            if removed:
                cur.execute(
                    f"DELETE FROM {inv} WHERE system_id = %s AND NOT EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {stg} s WHERE s.stage = %s AND s.whmcs_id = {inv}.whmcs_id) "
                    f"AND NOT {kept.replace('i.whmcs_id', inv + '.whmcs_id')}",
                    [system_id, stage, stage],
                )
            if changed:
                _fault("switch-deleted")
            if inserted or updated:
                updates = ", ".join(f"{c} = excluded.{c}" for c in (*STORED, "synced_at"))
                cur.execute(
                    f"INSERT INTO {inv} (system_id, whmcs_id, {cols}, synced_at) "  # noqa: S608
                    f"SELECT %s, whmcs_id, {cols}, %s FROM {stg} WHERE stage = %s "
                    f"ON CONFLICT (system_id, whmcs_id) DO UPDATE SET {updates} WHERE {differs}",
                    [system_id, timezone.now(), stage],
                )
            if changed:
                aggregates.refresh(system_id, days, paid_days)
            now = timezone.now()
            run.inserted += inserted
            run.updated += updated
            run.removed += removed
            SyncRun.objects.filter(pk=run.pk).update(
                inserted=run.inserted,
                updated=run.updated,
                removed=run.removed,
                note=run.note,
                heartbeat_at=now,
            )
            AccountingSystem.objects.filter(pk=system_id).update(last_full_sync_at=now)
            self.system.last_full_sync_at = now
        # The stage is spent; dropping it is not part of the switch (a crash here loses nothing).
        StagedInvoice.objects.filter(stage=stage).delete()
        SyncRun.objects.filter(system_id=system_id, stage=stage).update(stage=None)
        run.stage = None
        self._progress()

    # -- cheap sync ----------------------------------------------------------------------

    def incremental(self, allow_full: bool = True) -> None:
        """The cheap sync described in the module docstring; may fall back to a full sync."""
        if allow_full and self.system.last_full_sync_at is None:
            self._fallback(allow_full, "First sync of this system: a full sync.")
            return
        for _attempt in range(2):
            self.totals = set()
            exact = self._cheap_pass()
            if exact and len(self.totals) <= 1:
                return
            if exact:  # the remote changed during the pass: look once more
                self.run.drift += 1
                continue
            break
        self._fallback(
            allow_full,
            "Sync could not prove the copy exact with a few requests, so it ran a full reconciliation.",
        )

    def _fallback(self, allow_full: bool, note: str) -> None:
        if not allow_full:
            self.run.note = _join(self.run.note, "Some changes may remain for the next sync.")
            return
        if note:
            self.run.note = _join(self.run.note, note)
        self.run.mode = SyncRun.Mode.FULL
        self.run.save(update_fields=["mode", "note", "drift", "heartbeat_at"])
        self.full(resume=True)

    def _cheap_pass(self) -> bool:
        """Steps 1–3 of the cheap sync; ``True`` when the copy is proven exact."""
        run = self.run
        held = Invoice.objects.filter(system=self.system)
        max_local = held.aggregate(m=Max("whmcs_id"))["m"] or 0
        upper: int | None = None  # exclusive upper bound of the next window
        offset = 0
        pages = 0
        while True:
            self._check_stop()
            start = offset - 1 if offset > 0 else 0
            limit = self.size + 1 if offset > 0 else self.size
            page = self.fetch(start, limit, order="desc")
            pages += 1
            if offset > 0 and (not page.ids or page.ids[0] is None or page.ids[0] < upper):
                # A newer invoice left the paid set: rows moved up past our position.
                run.drift += 1
                return False
            rows = [r for r in page.records if upper is None or r.whmcs_id < upper]
            ids = [i for i in page.ids if i is not None]
            bottom = page.short or page.returned == 0
            lower = 0 if bottom else min(ids)
            self.apply_window(lower, upper, rows, page.bad)
            run.step += 1
            run.steps_total = run.step
            self._progress()
            if bottom:
                return True  # every paid invoice has been compared
            if lower <= max_local:
                break
            if pages >= MAX_CHEAP_PAGES:
                return False
            upper = lower
            offset = start + page.returned
        b = lower
        for _repair in range(MAX_REPAIRS + 1):
            below = held.filter(whmcs_id__lt=b)
            count = below.count()
            local_last = below.order_by("-whmcs_id").values_list("whmcs_id", flat=True).first()
            got = self._ids_at(max(count - 1, 0), 2 if count else 1)
            want = [local_last, b] if count else [b]
            if got == want:
                return True
            if _repair == MAX_REPAIRS:
                return False
            # Bisect for the first position whose remote id differs from ours.
            if count and got[:1] == [local_last]:
                p = count
            else:
                lo, hi = 0, max(count - 1, 0)
                while lo < hi:
                    mid = (lo + hi) // 2
                    local_mid = below.order_by("whmcs_id").values_list("whmcs_id", flat=True)[mid]
                    if self._ids_at(mid, 1) == [local_mid]:
                        lo = mid + 1
                    else:
                        hi = mid
                p = lo
            window_lower = 0
            if p > 0:
                window_lower = below.order_by("whmcs_id").values_list("whmcs_id", flat=True)[p - 1] + 1
            page = self.fetch(p, self.size)
            ids = [i for i in page.ids if i is not None]
            window_upper = b if page.short or not ids or max(ids) >= b else max(ids) + 1
            rows = [r for r in page.records if window_lower <= r.whmcs_id < window_upper]
            self.apply_window(window_lower, window_upper, rows, page.bad)
            run.step += 1
            run.steps_total = run.step
            self._progress()
        return False

    def _ids_at(self, start: int, limit: int) -> list[int | None]:
        self._check_stop()
        page = self.fetch(start, limit)
        return page.ids[:limit]

    def apply_window(
        self, lower: int, upper: int | None, records: list[InvoiceRecord], bad: list[BadRecord]
    ) -> None:
        """Make the held invoices with ``lower <= id < upper`` exactly ``records``, in one
        transaction with the aggregates (an id range read completely from WHMCS)."""
        run = self.run
        remote = {r.whmcs_id: self._row(r) for r in records}
        # A quarantined id keeps its held copy: unreadable now is not "no longer paid".
        keep = {b.whmcs_id for b in bad if b.whmcs_id is not None}
        now = timezone.now()
        with transaction.atomic():
            held = Invoice.objects.filter(system=self.system, whmcs_id__gte=lower)
            if upper is not None:
                held = held.filter(whmcs_id__lt=upper)
            local = {row["whmcs_id"]: row for row in held.values("id", "whmcs_id", *STORED)}
            new, changed, gone = [], [], []
            days: set[date] = set()
            paid_days: set[date] = set()
            for wid, row in remote.items():
                old = local.get(wid)
                if old is None:
                    new.append(Invoice(system=self.system, **row))
                elif any(_norm(old[c]) != _norm(row[c]) for c in CONTENT):
                    changed.append(Invoice(id=old["id"], system=self.system, synced_at=now, **row))
                    _add_days(old, days, paid_days, self.tz)
                else:
                    continue
                _add_days(row, days, paid_days, self.tz)
            for wid, old in local.items():
                if wid not in remote and wid not in keep:
                    gone.append(old["id"])
                    _add_days(old, days, paid_days, self.tz)
            if new:
                Invoice.objects.bulk_create(new, batch_size=1000)
            if changed:
                Invoice.objects.bulk_update(changed, [*STORED, "synced_at"], batch_size=500)
            if gone:
                Invoice.objects.filter(id__in=gone).delete()
            if new or changed or gone:
                aggregates.refresh(self.system.pk, days, paid_days)
            run.quarantined += self._quarantine(bad)
            run.inserted += len(new)
            run.updated += len(changed)
            run.removed += len(gone)
            SyncRun.objects.filter(pk=run.pk).update(
                inserted=run.inserted,
                updated=run.updated,
                removed=run.removed,
                quarantined=run.quarantined,
                step=run.step + 1,
                requests=self.client.requests_made,
                heartbeat_at=timezone.now(),
                remote_total=run.remote_total,
            )


def _lean_sqlite() -> Callable[[], None]:
    """Bound a sync's memory on SQLite; returns the function that undoes it.

    The web-tuned connection keeps a 64 MB page cache and temporary b-trees in memory; a full
    sync of a million invoices would fill the one and grow the other (the switch's sorts) with
    the number of invoices. For the sync's connection, a smaller cache and temporary data on
    disk keep peak memory flat.
    """
    # (temp_store cannot change inside a transaction: a caller's open one, e.g. a test's.)
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return lambda: None
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        cache = int(cur.fetchone()[0])
        cur.execute("PRAGMA temp_store")
        temp = int(cur.fetchone()[0])
        cur.execute("PRAGMA cache_size = -16000")
        cur.execute("PRAGMA temp_store = FILE")

    def restore() -> None:
        with contextlib.suppress(Exception), connection.cursor() as cur:  # closed: nothing to undo
            cur.execute(f"PRAGMA cache_size = {cache}")
            cur.execute(f"PRAGMA temp_store = {temp}")

    return restore


def _settle(future: Future) -> None:
    """Wait for an unwanted prefetch so the client is idle again; its outcome is dropped."""
    with contextlib.suppress(Exception):  # the page was not needed
        future.result()


def _join(note: str, more: str) -> str:
    return f"{note} {more}".strip()[:500]


def _norm(value: Any) -> Any:
    # Decimal("10.00") == Decimal("10") and aware datetimes compare across zones, so values
    # read back from either database compare equal to freshly parsed ones.
    return value


def _local_day(value: datetime, tz: ZoneInfo) -> date:
    if timezone.is_naive(value):
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(tz).date()


def _add_days(row: dict, days: set[date], paid_days: set[date], tz: ZoneInfo) -> None:
    days.add(row["date"])
    if row.get("date_paid") is not None:
        paid_days.add(_local_day(row["date_paid"], tz))


def _collect_days(cur: Any, days: set[date], paid_days: set[date]) -> None:
    tz = ZoneInfo(settings.TIME_ZONE)
    for day, paid in cur.fetchall():
        if isinstance(day, str):
            day = date.fromisoformat(day[:10])
        days.add(day)
        if paid is not None:
            if isinstance(paid, str):
                paid = datetime.fromisoformat(paid)
            paid_days.add(_local_day(paid, tz))
