"""Staging a full sync's pages: each page's rows and its checkpoint in ONE transaction (R4).

A page's Paid rows go into ``StagedInvoice`` under the run's ``stage`` key, in as few multi-row
``INSERT`` statements as the database's parameter limit allows, and the run's checkpoint
(``CHECKPOINT``: next offset, last id, step, …) is written in the same transaction, so a killed
sync resumes from its last committed step. :mod:`~forecaster.sync.engine.switch` then makes a
complete stage the system's invoices.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from forecaster.currency.money import base_amounts
from forecaster.sync.engine.errors import ClaimLost
from forecaster.sync.engine.writer import PageWriter
from forecaster.sync.models import PAID, QuarantinedRecord, StagedInvoice, SyncRun
from forecaster.systems.source import BadRecord, InvoiceRecord

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
    "steps_total",
    "first_total",
    "remote_total",
    "requests",
    "quarantined",
    "drift",
    "heartbeat_at",
)

# The run's fields a page commit advances, in the order ``commit_page`` gives them.
COMMITTED = ("next_offset", "last_id", "step", "steps_total", "quarantined")


def stage_of(run: SyncRun) -> int:
    """The stage key of a full sync's run (set by ``prepare_full`` before any page)."""
    if run.stage is None:
        raise RuntimeError(f"sync run {run.pk} has no stage")
    return run.stage


def _fault(point: str) -> None:
    """Statement boundaries of a page commit and the switch; tests patch this to inject a
    crash (R1, R4)."""


@dataclass
class PageCommit:
    """One page's transaction, prepared by the sync's thread: the stage rows, the unreadable
    records, the committed ``last_id`` it follows, the checkpoint's parameters (CHECKPOINT,
    then the run's id) and the run's checkpoint fields once it is committed."""

    values: list[tuple]
    bad: list[BadRecord]
    last_id_before: int
    checkpoint: list[Any]
    after: dict[str, int]


class Staging:
    """Rows for the stage and the page commit (a mixin of the ``Engine``)."""

    system: Any
    run: SyncRun
    client: Any
    rates: Any
    size: int
    _plain_text: bool
    _copy: bool
    _stage_sql_cache: dict[int, str]
    _batch: int
    _adapt_date: Any
    _adapt_datetime: Any
    _progress: Any
    _writer: PageWriter | None
    _committed: dict[str, int] | None
    _staged_tail: tuple | None

    def _row(self, rec: InvoiceRecord) -> dict[str, Any]:
        """An invoice's stored fields (held-copy shape), converted by the money rule."""
        rate = self.rates.rate(rec.currency, rec.date)
        net, tax = base_amounts(rate, rec.subtotal, rec.tax, rec.tax2)
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
            "net_base": net,
            "tax_base": tax,
        }

    def _stage_values(self, stage: int, rec: InvoiceRecord) -> tuple:
        """One staged row as database parameters, adapted exactly as the ORM would.

        Decimals go to the driver as ``Decimal`` (Django's own adapters turn them into their
        exact text on SQLite; PostgreSQL takes them as numeric) — never through ``float``.
        """
        rate = self.rates.rate(rec.currency, rec.date)
        net, tax = base_amounts(rate, rec.subtotal, rec.tax, rec.tax2)
        paid = None if rec.date_paid is None else self._adapt_datetime(rec.date_paid)
        return (stage, rec.whmcs_id, rec.number, self._adapt_date(rec.date), paid, PAID, rec.subtotal,
                rec.tax, rec.tax2, rec.credit, rec.total, rec.taxrate, rec.taxrate2, rec.currency, rate,
                net, tax)  # fmt: skip

    def _stage_sql(self, rows: int) -> str:
        """``INSERT`` of ``rows`` staged rows in one statement (cached per size)."""
        sql = self._stage_sql_cache.get(rows)
        if sql is None:
            if len(self._stage_sql_cache) >= 8:  # sizes other than a full page are rare
                self._stage_sql_cache.clear()
            sql = self._stage_sql_cache[rows] = _stage_insert(rows, "?" if self._plain_text else "%s")
        return sql

    def _checkpoint_sql(self) -> str:
        """The page checkpoint as one prepared UPDATE (the ORM's per-call compile showed up)."""
        if not hasattr(self, "_checkpoint_sql_text"):
            table = connection.ops.quote_name(SyncRun._meta.db_table)
            sets = ", ".join(f"{c} = %s" for c in CHECKPOINT)
            self._checkpoint_sql_text = f"UPDATE {table} SET {sets} WHERE id = %s AND status = 'running'"  # noqa: S608
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

    def commit_page(self, page: Any, next_offset: int, last_id: int) -> None:
        """Stage the page's rows and advance the checkpoint in ONE transaction (R4): here, or
        queued for the page writer when the run has one (:mod:`.writer`)."""
        run = self.run
        step = run.step + 1
        steps_total = max(math.ceil(page.total / self.size), step)
        quarantined = run.quarantined + len(page.bad)
        after = dict(zip(COMMITTED, (next_offset, last_id, step, steps_total, quarantined), strict=True))
        # In the order of CHECKPOINT.
        checkpoint = [next_offset, last_id, step, steps_total, run.first_total, page.total,
                      self.client.requests_made, quarantined, run.drift,
                      self._adapt_datetime(timezone.now()), run.pk]  # fmt: skip
        commit = PageCommit(self._page_values(page), page.bad, run.last_id, checkpoint, after)
        if self._writer is None:
            self.write_pages([commit])
        else:
            self._writer.put(commit)
        # The in-memory run reads on from the page; the database has it once it is committed
        # (``rewind_to_committed`` undoes what a failure left uncommitted).
        for name, value in after.items():
            setattr(run, name, value)
        self._progress()

    def write_pages(self, commits: list[PageCommit]) -> None:
        """Pages' transaction: their rows, their unreadable records, the last one's checkpoint
        (one page, or the pages waiting for the page writer: R4 holds for the group)."""
        last = commits[0].last_id_before
        rows: dict[int, tuple] = {}
        for commit in commits:  # a page's overlap row is the page before's last: the last wins
            for row in commit.values:
                rows[row[1]] = row
        tail = self._staged_tail
        if tail is not None and rows.get(tail[1]) == tail:
            del rows[tail[1]]  # the overlap row as already staged: nothing to replace
        # Plain SQL: the ORM's per-field preparation cost 5× the network.
        with transaction.atomic(), connection.cursor() as cur:
            if self._copy and self._writer is None:
                # A page is redone from its checkpoint when lost: it need not wait for the disk.
                # PostgreSQL's commits stay in order, so the switch's (durable) commit makes
                # every page before it durable too. (The page writer's own connection is set
                # so once: ``writer_connection``.)
                cur.execute("SET LOCAL synchronous_commit = off")
            self._insert_staged(cur, list(rows.values()), last)
            _fault("rows-written")
            self._quarantine([bad for commit in commits for bad in commit.bad])
            cur.execute(self._checkpoint_sql(), commits[-1].checkpoint)
            if cur.rowcount != 1:
                raise ClaimLost()  # the run was taken for dead: roll the pages back
            _fault("checkpoint-written")
        self._committed = commits[-1].after
        if rows:
            self._staged_tail = rows[max(rows)]

    def rewind_to_committed(self) -> None:
        """After a failure: the in-memory run's checkpoint back to the last committed page's."""
        for name, value in (self._committed or {}).items():
            setattr(self.run, name, value)

    def _page_values(self, page: Any) -> list[tuple]:
        if page.staged is not None:
            return list(page.staged.values())  # deduplicated by id within the page
        rows = {r.whmcs_id: r for r in page.records}  # dedupe within a page
        return [self._stage_values(stage_of(self.run), r) for r in rows.values()]

    def _insert_staged(self, cur: Any, values: list[tuple], last: int) -> None:
        if self._copy:
            # Every staged row has an id at most the committed ``last`` id (rows and checkpoint
            # commit together), so rows above it are new to the stage and go in through COPY;
            # the few at or below it (the overlap row, a page re-read after drift) replace
            # their staged copy through the INSERT below.
            fresh = [row for row in values if row[1] > last]
            if fresh:
                with cur.cursor.copy(_stage_copy()) as copy:
                    write = copy.write_row
                    for row in fresh:
                        write(row)
            values = [row for row in values if row[1] <= last]
        # The driver's cursor on SQLite (the parameters are adapted by the adapters Django
        # registers with the driver, as through its wrapper).
        execute = partial(sqlite3.Cursor.execute, cur.cursor) if self._plain_text else cur.execute
        # Rows go in as few statements as the parameter limit allows (one per page usually):
        # a statement per row hands the GIL to the fetching threads and back once per row,
        # which cost more than the writing itself.
        for i in range(0, len(values), self._batch):
            chunk = values[i : i + self._batch]
            execute(self._stage_sql(len(chunk)), [v for row in chunk for v in row])


def _stage_insert(rows: int, mark: str) -> str:
    table = connection.ops.quote_name(StagedInvoice._meta.db_table)
    cols = ", ".join(("stage", "whmcs_id", *STORED))
    # SQLite's own placeholders (``?``): the statement goes to the driver as it is (Django's
    # %s-to-? rewrite of a 1 700-placeholder statement cost ~1 ms a page).
    marks = "(" + ", ".join([mark] * (2 + len(STORED))) + ")"
    updates = ", ".join(f"{c} = excluded.{c}" for c in STORED)
    return (
        f"INSERT INTO {table} ({cols}) VALUES {', '.join([marks] * rows)} "  # noqa: S608
        f"ON CONFLICT (stage, whmcs_id) DO UPDATE SET {updates}"
    )


def _stage_copy() -> str:
    table = connection.ops.quote_name(StagedInvoice._meta.db_table)
    return f"COPY {table} ({', '.join(('stage', 'whmcs_id', *STORED))}) FROM STDIN"


def column_adapters() -> tuple[Callable[[date], Any], Callable[[datetime], Any]]:
    """The current database's adapters of a date and of an aware datetime, giving the parameter
    Django's ``adapt_datefield_value`` / ``adapt_datetimefield_value`` give, without their
    per-call checks (a page adapts one of each per row; the checks cost as much as the rows'
    writing).

    SQLite keeps a moment as the text of its UTC wall time (the connection's zone unless the
    database's TIME_ZONE says otherwise) and a date as its ISO text; PostgreSQL takes both as
    they are. Any other case goes through Django's adapters.
    """
    ops = connection.ops
    if connection.vendor == "postgresql":
        return _same, _same
    if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone is UTC:

        def adapt_datetime(value: datetime) -> str | None:
            if value.tzinfo is None:  # only aware moments are staged; anything else: Django's way
                return ops.adapt_datetimefield_value(value)
            # str() of the naive UTC wall time, i.e. its isoformat(" ") without "+00:00"
            # (replace(tzinfo=None) cost more than the rest).
            return value.astimezone(UTC).isoformat(" ")[:-6]

        return str, adapt_datetime
    return ops.adapt_datefield_value, ops.adapt_datetimefield_value


def _same(value: Any) -> Any:
    return value


def stage_rows_per_statement() -> int:
    """How many rows one INSERT may carry within the database's parameter limit."""
    limit = connection.features.max_query_params or 30_000
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with contextlib.suppress(AttributeError, sqlite3.Error):  # getlimit: Python 3.11+
            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(limit, 30_000) // (2 + len(STORED)))


def writer_connection() -> Callable[[], None]:
    """Set up the page writer's own connection; returns the function that undoes it.

    On SQLite its memory is bounded as the sync's own (:func:`lean_sqlite`). On PostgreSQL its
    commits need not wait for the disk: a page lost in a crash is read again from the
    checkpoint before it, and the switch's own (durable) commit makes every page before it
    durable too. The setting lives as long as the connection, which the writer closes.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
        return lambda: None
    return lean_sqlite()


def lean_sqlite() -> Callable[[], None]:
    """Bound a sync's memory on SQLite; returns the function that undoes it.

    Every connection a sync writes through (its own, the page writer's) is bound. The
    web-tuned connection keeps a 64 MB page cache and temporary b-trees in memory; a full
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
