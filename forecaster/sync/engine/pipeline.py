"""The pipeline: WHMCS's Unpaid invoices already issued and due from this month on.

After the paid invoices are exact, a sync reads ``GetInvoices status=Unpaid orderby=duedate
order=desc`` (no permission beyond GetInvoices), ``Step`` rows a request, newest due date first,
and stops at the first row due before the current month: a WHMCS with years of stale unpaid
invoices costs no more than one with none. Nothing new costs one request (two when more than a
Step of invoices are due ahead).

Due dates are not unique, so a page boundary may split invoices due on the same day, and WHMCS
does not promise the same order among them from one request to the next. The next page
therefore starts at the first row of the last page's trailing same-day group: those positions
hold exactly that group in any order, and rows are deduplicated by id (a group filling a
whole page doubles the page instead).

Records are read by the same rules and bounds as paid ones (:func:`parse_unpaid`); an unreadable
one is quarantined (id and reason). The rows found replace the system's ``UnpaidInvoice`` rows
as a whole, in one transaction that only a run still owning its claim commits.

A sync that found nothing new need not page the whole pipeline again. When its first page is
the page the last whole read began with (same rows, same count of unpaid invoices), the paid
invoices did not change in this run, the held rows still convert at today's rates and the last
whole read is less than :data:`MAX_AGE` old, the held rows are kept: one request. An invoice
issued, paid, cancelled or deleted changes the count or the paid invoices; an edit to an
unpaid invoice further down the pipeline is read by the next whole read (a full sync always
reads it whole).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from forecaster.currency.money import base_amounts
from forecaster.sync.engine.errors import ClaimLost, SyncFailed
from forecaster.sync.models import PipelineMark, SyncRun, UnpaidInvoice
from forecaster.systems.source import BadRecord, InvoiceSource, UnpaidRecord

UNPAID = "Unpaid"
# Bounds the pages one pipeline read may take, whatever the remote answers.
MAX_PIPELINE_REQUESTS = 200
# The longest a sync keeps the held pipeline on the strength of its first page alone.
MAX_AGE = timedelta(hours=6)


def pipeline_start(today: date | None = None) -> date:
    """The first due date the pipeline keeps: the first day of the current month."""
    return (today or timezone.localdate()).replace(day=1)


class Pipeline:
    """``pipeline()`` (a mixin of the ``Engine``)."""

    system: Any
    run: SyncRun
    client: InvoiceSource
    size: int
    tz: Any
    rates: Any
    _quarantine: Any
    _check_stop: Any
    _progress: Any

    def pipeline(self, since: date | None = None) -> None:
        """Replace the system's pipeline with the Unpaid invoices due on or after ``since``
        (default: the first day of the current month)."""
        if not self.client.reads_pipeline:
            return
        since = since or pipeline_start()
        read = self._read_unpaid(since)
        with transaction.atomic():
            if read is not None:
                found, bad, mark = read
                rows = [self._unpaid_row(rec) for rec in found.values() if rec.due_date >= since]
                UnpaidInvoice.objects.filter(system_id=self.system.pk).delete()
                UnpaidInvoice.objects.bulk_create(rows, batch_size=1000)
                PipelineMark.objects.update_or_create(system_id=self.system.pk, defaults=mark)
                self.run.quarantined += self._quarantine(list(bad.values()))
            owned = SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(
                quarantined=self.run.quarantined,
                requests=self.client.requests_made,
                heartbeat_at=timezone.now(),
            )
            if not owned:
                raise ClaimLost()  # the run was taken for dead: the pipeline is rolled back
        self._progress()

    def _read_unpaid(
        self, since: date
    ) -> tuple[dict[int, UnpaidRecord], dict[Any, BadRecord], dict[str, Any]] | None:
        """The unpaid invoices due ahead, those unreadable, and the mark of this whole read;
        ``None`` when the held rows are kept (see the module's docstring)."""
        found: dict[int, UnpaidRecord] = {}
        bad: dict[Any, BadRecord] = {}
        offset, limit = 0, self.size
        mark: dict[str, Any] = {}
        for _request in range(MAX_PIPELINE_REQUESTS):
            self._check_stop()
            page = self.client.get_invoices(
                limitstart=offset, limitnum=limit, status=UNPAID, orderby="duedate", order="desc"
            )
            if not mark:
                mark = {"since": since, "size": limit, "total": page.total,
                        "first_page": _digest(page.records), "read_at": timezone.now()}  # fmt: skip
            dues: list[date | None] = []
            for item in page.records:
                try:
                    rec, unpaid = self.client.unpaid_record(item, self.tz)
                except BadRecord as exc:
                    dues.append(None)
                    bad.setdefault(exc.whmcs_id if exc.whmcs_id is not None else object(), exc)
                    continue
                dues.append(rec.due_date)
                if unpaid:
                    found[rec.whmcs_id] = rec
            # (A page with an unreadable row is read on: the run reports what it quarantined.)
            if _request == 0 and not bad and self._keeps_held(mark, len(page.records)):
                return None
            if len(page.records) < limit or not dues or any(d is not None and d < since for d in dues):
                return found, bad, mark
            tied = _trailing_group(dues)
            if tied == len(dues):
                limit *= 2  # one due date fills the page: read it whole
            else:
                offset += len(dues) - tied
        raise SyncFailed(
            gettext_noop(
                "The accounting system kept sending unpaid invoices due ahead without reaching an end; "
                "the pipeline was not read."
            ),
            gettext_noop(
                "Check that the accounting system lists its unpaid invoices correctly (ordered by due "
                "date); then sync again."
            ),
        )

    def _keeps_held(self, mark: dict[str, Any], returned: int) -> bool:
        """Whether this run may keep the held pipeline: its first page (``mark``) is the one
        the last whole read began with, and nothing else says the pipeline moved."""
        run = self.run
        if run.mode == SyncRun.Mode.FULL or run.inserted or run.updated or run.removed:
            return False
        if returned < mark["size"]:
            return False  # the first page is the whole pipeline: reading it is the read
        last = PipelineMark.objects.filter(system_id=self.system.pk).first()
        if last is None or mark["read_at"] - last.read_at >= MAX_AGE:
            return False
        if (last.since, last.size, last.total, last.first_page) != tuple(
            mark[k] for k in ("since", "size", "total", "first_page")
        ):
            return False
        held = UnpaidInvoice.objects.filter(system_id=self.system.pk).values_list("currency", "date", "rate")
        return all(self.rates.rate(cur, day) == rate for cur, day, rate in held.iterator())

    def _unpaid_row(self, rec: UnpaidRecord) -> UnpaidInvoice:
        """The pipeline row of ``rec``, converted by the same money rule as a paid invoice."""
        rate = self.rates.rate(rec.currency, rec.date)
        net_base, _tax_base = base_amounts(rate, rec.subtotal, rec.tax, rec.tax2)
        return UnpaidInvoice(
            system_id=self.system.pk,
            date=rec.date,
            due_date=rec.due_date,
            currency=rec.currency,
            subtotal=rec.subtotal,
            tax=rec.tax + rec.tax2,
            total=rec.total,
            rate=rate,
            net_base=net_base,
        )


def _trailing_group(dues: list[date | None]) -> int:
    """How many rows at the end of a page share its last due date (1 for an unreadable one)."""
    last = dues[-1]
    if last is None:
        return 1
    count = 0
    for due in reversed(dues):
        if due != last:
            break
        count += 1
    return count


def _digest(records: list[Any]) -> str:
    """SHA-256 of a page's records in an order of their own (WHMCS may list invoices due on the
    same day in any order): the same page gives the same digest, whatever its order."""
    lines = sorted(repr(sorted(r.items())) if isinstance(r, dict) else repr(r) for r in records)
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()
