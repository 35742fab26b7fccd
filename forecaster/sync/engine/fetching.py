"""Reading pages from the remote: one request per page, parsed, with up to the system's
"parallel requests" in flight (a prefetch pool), so the network and the second core work while
this thread parses and writes; the pages are still taken, and committed, in order.

``fetch(start, limit, order)`` returns a :class:`Page`: from the prefetched request when one
asked exactly this, else by a request of its own. ``fetch_ahead`` starts a later request;
``close`` waits for and drops every request still in flight.
"""

from __future__ import annotations

import contextlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from forecaster.sync.engine.errors import SyncFailed
from forecaster.sync.models import PAID
from forecaster.systems.source import BadRecord, InvoiceRecord, InvoiceSource

# The most page requests a run keeps in flight at once (the system's "parallel requests"
# is 1 to this).
MAX_PARALLEL = 8


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


class Fetching:
    """The engine's remote reads (a mixin of the ``Engine``)."""

    client: InvoiceSource
    prefetch: bool
    parallel: int
    tz: Any
    run: Any
    totals: set[int]
    _pool: ThreadPoolExecutor | None
    _ahead: deque[tuple[tuple, Future]]
    # From staging.Staging: a record as stage parameters.
    _stage_values: Any

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
        """Start the request for a later page while this one is written (``parallel`` at most)."""
        key = (start, limit, order)
        if not self.prefetch or len(self._ahead) >= self.parallel or any(k == key for k, _ in self._ahead):
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="sync-prefetch")
        self._ahead.append((key, self._pool.submit(self._request, start, limit, order)))

    def close(self) -> None:
        """Wait for the requests still in flight, drop their answers, stop the pool."""
        while self._ahead:
            _settle(self._ahead.popleft()[1])
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _seen(self, raw: Any, start: int, limit: int, **parsed: Any) -> Page:
        _check_total(raw.total)  # before anything stores or pages by it
        self.totals.add(raw.total)
        self.run.remote_total = raw.total
        return Page(total=raw.total, start=start, limit=limit, returned=len(raw.records), **parsed)

    def _parse(self, raw: Any, start: int, limit: int) -> Page:
        good, bad = self.client.parse_page(raw.records, self.tz)
        ids = [self.client.invoice_id(item) for item in raw.records]
        paid = [r for r in good if r.status.lower() == "paid"]
        return self._seen(raw, start, limit, ids=ids, records=paid, bad=bad)

    def _parse_staged(self, raw: Any, start: int, limit: int) -> Page:
        """Like ``_parse``, straight into stage rows: the per-row cost of a full sync."""
        stage = self.run.stage
        source = self.client
        parse_invoice, invoice_id = source.parse_invoice, source.invoice_id
        tz = self.tz
        ids: list[int | None] = []
        rows: dict[int, tuple] = {}
        bad: list[BadRecord] = []
        for item in raw.records:
            # Only a valid id positions the pages (2**63 would not fit the checkpoint).
            ids.append(invoice_id(item))
            try:
                rec = parse_invoice(item, tz)
            except BadRecord as exc:
                bad.append(exc)
                continue
            if rec.status.lower() == "paid":
                rows[rec.whmcs_id] = self._stage_values(stage, rec)
        if raw.records and len(bad) == len(raw.records):
            source.parse_page(raw.records, tz)  # raises FormatChanged when a field is gone everywhere
        return self._seen(raw, start, limit, ids=ids, records=[], bad=bad, staged=rows)


def _settle(future: Future) -> None:
    """Wait for an unwanted prefetch so the client is idle again; its outcome is dropped."""
    with contextlib.suppress(Exception):  # the page was not needed
        future.result()


# What a run believes of a remote count. No WHMCS holds a hundred million paid invoices; a count
# above that (10**9, 10**30) is a broken or hostile server, and paging it would run for days and
# fill the disk with staged rows. The run fails at once with the reason.
PLAUSIBLE_TOTAL = 100_000_000


def _check_total(total: int) -> None:
    """Refuse a remote count no real accounting system reports."""
    if not 0 <= total <= PLAUSIBLE_TOTAL:
        shown = f"{total:,}" if abs(total) < 10**15 else f"about 10^{len(str(abs(total))) - 1}"
        raise SyncFailed(
            gettext_noop(
                "The accounting system reports %(count)s paid invoices, more than any installation "
                "holds; the sync stopped instead of paging it."
            )
            % {"count": shown},
            gettext_noop(
                "Check that the URL points at the real API of the accounting system and that it works; "
                "then sync again."
            ),
        )
