"""What a system books beyond the paid invoices: deposits, mass payments, refunds, chargebacks.

Runs at the end of every sync run, with the run's source, after the engine has brought the paid
invoices up to date (``run_sync`` calls it)::

    Ledger(system, source, full=True, check=engine_check).update()

It talks to the system only through the source seam (``forecaster.systems.source``); what it
can do depends on what the source offers (its capability flags) and, for a source whose
account may be refused a feature (``permission_names``: apiWHMCS's API role), on what the
account allows (``AccountingSystem.api_actions``, learnt once and kept up to date whenever the
source refuses a call):

* **Neither feature** (a source that cannot, or a WHMCS role with GetInvoices only): nothing —
  revenue is the paid invoices; reports and the systems list say what cannot be told apart
  (:func:`blind_spot`, in the source's words).
* **Invoice details** (WHMCS GetInvoice): each paid invoice without tax that was paid with money
  (only those can be deposits or mass payments: no tax is charged on adding funds or paying
  other invoices) is read once and its kind kept (:class:`InvoiceDetail`). Invoices refunded in
  full or charged back (the source's ``returned_statuses``) are held (:class:`ReturnedInvoice`)
  and their transactions read once, so their refunds are booked on their own dates.
* **Transactions** (WHMCS GetTransactions): one call lists every transaction, so every refund
  and chargeback — partial ones too — is booked (:class:`Refund`), at each sync.

A full sync re-reads the returned invoices. An everyday sync reads them again only when
something says they changed: the paid sync of the run found paid invoices gone, or (with
transactions) a refund of an invoice that is neither paid nor held as returned. An invoice paid
and refunded in full between two syncs without transactions waits for the next full sync (the
daily schedule runs one regularly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import receiver

from forecaster.currency.rates import RateBook, convert_invoice
from forecaster.lib.money import ZERO, split_refund
from forecaster.sync.models import (
    PAID,
    Invoice,
    InvoiceDetail,
    InvoiceKind,
    Refund,
    ReturnedInvoice,
    UntaxedPaidCount,
)
from forecaster.sync.signals import invoices_changed
from forecaster.systems import errors
from forecaster.systems.models import AccountingSystem
from forecaster.systems.source import (
    FEATURES,
    INVOICE_DETAILS,
    TRANSACTIONS,
    BadRecord,
    InvoiceSource,
    Transaction,
    offered_features,
)

log = logging.getLogger(__name__)


def known_actions(system: AccountingSystem) -> set[str] | None:
    """The actions the role allows as last learnt; ``None`` when never checked."""
    if not system.api_actions:
        return None
    return {a for a in system.api_actions.split(",") if a}


def remember_actions(system: AccountingSystem, allowed: dict[str, bool]) -> None:
    """Store what Test connection or a sync learnt about the role."""
    value = ",".join(a.lower() for a, ok in allowed.items() if ok) or "none"
    if value != system.api_actions:
        system.api_actions = value
        AccountingSystem.objects.filter(pk=system.pk).update(api_actions=value)


def allowed_features(system: AccountingSystem, source: object) -> set[str] | None:
    """The features beyond paid invoices that ``source`` (its class or an instance) offers and
    the system's account allows as last learnt; ``None`` when its permissions were never
    checked."""
    offered = offered_features(source)
    names: dict[str, str] = getattr(source, "permission_names", {})
    if not names:
        return offered
    known = known_actions(system)
    if known is None:
        return None
    return {f for f in offered if f not in names or names[f].lower() in known}


class Ledger:
    """One run's update of the deposits, mass payments and refunds of ``system``."""

    def __init__(
        self,
        system: AccountingSystem,
        source: InvoiceSource,
        *,
        full: bool,
        check: Callable[[], None] = lambda: None,
        size: int | None = None,
        removed: int = 0,
    ) -> None:
        self.system = system
        self.source = source
        self.full = full
        self.check = check
        self.size = max(1, int(size or system.step))
        self.book = RateBook(system)
        self.removed = removed  # paid invoices this run found no longer paid
        self.changed = False

    # --- the run ------------------------------------------------------------------------------

    def update(self) -> None:
        """Bring deposits, mass payments and refunds up to date; refresh the aggregates. What
        the source cannot do (or its account may not) is skipped, and nothing of it is held."""
        allowed = self._allowed()
        if not allowed:
            self._forget()
        else:
            txs = self._transactions() if TRANSACTIONS in allowed else None
            self._returned(txs)
            if INVOICE_DETAILS in self._allowed():
                self._details(read_refunds=txs is None)
            if txs is not None:
                self._book_all(txs)
        if self.changed:
            with transaction.atomic():
                invoices_changed.send(Invoice, system_id=self.system.pk, days=None, paid_days=None)

    def _allowed(self) -> set[str]:
        allowed = allowed_features(self.system, self.source)
        if allowed is None:
            # The paid invoices were just read: ask the source what else the account may read.
            remember_actions(self.system, self.source.permissions(retry=True))
            allowed = allowed_features(self.system, self.source) or set()
        return allowed

    def _refused(self, feature: str) -> None:
        """The source refused ``feature``: its account changed since it was learnt."""
        name = self.source.permission_names.get(feature, "").lower()
        known = [a for a in self.system.api_actions.split(",") if a]
        remember_actions(self.system, {a: a != name for a in known})

    def _forget(self) -> None:
        """Nothing beyond paid invoices (any more): revenue is the paid invoices."""
        for model in (InvoiceDetail, ReturnedInvoice, Refund):
            deleted, _n = model.objects.filter(system=self.system).delete()
            self.changed |= bool(deleted)

    # --- invoices refunded in full or charged back --------------------------------------------

    def _returned(self, txs: dict[int, list[Transaction]] | None) -> None:
        if not self.full and not self._returned_moved(txs):
            return
        for status in self.source.returned_statuses:
            self._replace_returned(status, self._read_status(status))

    def _returned_moved(self, txs: dict[int, list[Transaction]] | None) -> bool:
        """Could the Refunded or Collections invoices have changed since the last sync?"""
        # An invoice refunded in full or charged back leaves the paid invoices, which the paid
        # sync of this run has just noticed (no request needed).
        if self.removed > 0 or txs is None:
            return self.removed > 0
        # Every refund is in the transactions: a refunded invoice that is neither paid nor held
        # as returned is what changed.
        refunded = {wid for wid, rows in txs.items() if any(t.money_out for t in rows)}
        held = {
            wid
            for model in (Invoice, ReturnedInvoice)
            for wid in model.objects.filter(system=self.system, whmcs_id__in=refunded).values_list(
                "whmcs_id", flat=True
            )
        }
        return bool(refunded - held)

    def _read_status(self, status: str) -> list[Any]:
        """Every invoice of ``status``, Step per request (the source never ends on a short page)."""
        records: dict[int, Any] = {}
        start = 0
        while True:
            self.check()
            page = self.source.get_invoices(limitstart=start, limitnum=self.size, status=status)
            for raw in page.records:
                try:
                    rec = self.source.parse_invoice(raw)
                except BadRecord:
                    continue  # unreadable: it simply does not count, as with paid invoices
                records[rec.whmcs_id] = rec
            start += page.returned
            if page.returned < self.size or start >= page.total:
                return list(records.values())

    def _replace_returned(self, status: str, records: list[Any]) -> None:
        held = {r.whmcs_id: r for r in ReturnedInvoice.objects.filter(system=self.system, status=status)}
        remote = {r.whmcs_id for r in records}
        with transaction.atomic():
            gone = [row.pk for wid, row in held.items() if wid not in remote]
            if gone:
                ReturnedInvoice.objects.filter(pk__in=gone).delete()
                self.changed = True
            for rec in records:
                fields = self._returned_fields(rec)
                old = held.get(rec.whmcs_id)
                if old is not None and all(getattr(old, k) == v for k, v in fields.items()):
                    continue
                ReturnedInvoice.objects.update_or_create(
                    system=self.system, whmcs_id=rec.whmcs_id, defaults={**fields, "booked": False}
                )
                self.changed = True

    def _returned_fields(self, rec: Any) -> dict[str, Any]:
        from forecaster.sync.engine.staging import CONTENT  # the engine imports this module

        rate, net_base, tax_base = convert_invoice(
            self.book, rec.currency, rec.date, rec.subtotal, rec.tax, rec.tax2
        )
        # The record's fields carry the stored names (the held-copy whitelist).
        return {
            **{name: getattr(rec, name) for name in CONTENT},
            "rate": rate,
            "net_base": net_base,
            "tax_base": tax_base,
        }

    # --- invoice details: kinds, and refunds of returned invoices without transactions -------

    def _details(self, *, read_refunds: bool) -> None:
        known = set(InvoiceDetail.objects.filter(system=self.system).values_list("whmcs_id", flat=True))
        for wid in self._detail_targets(known, read_refunds=read_refunds):
            self.check()
            try:
                details = self.source.invoice_details(wid)
            except errors.PermissionMissing:
                self._refused(INVOICE_DETAILS)
                return
            if details is None:
                continue  # deleted meanwhile
            if wid not in known:
                InvoiceDetail.objects.update_or_create(
                    system=self.system, whmcs_id=wid, defaults={"kind": InvoiceKind(details.kind)}
                )
                known.add(wid)
                self.changed = True
            if read_refunds:
                self._book({wid: details.transactions}, only=[wid])
                n = ReturnedInvoice.objects.filter(system=self.system, whmcs_id=wid, booked=False).update(
                    booked=True
                )
                self.changed |= bool(n)

    def _detail_targets(self, known: set[int], *, read_refunds: bool) -> list[int]:
        """The invoices to read the details of: paid ones that may be deposits or mass payments
        (no tax, paid with money) not read yet, and the returned ones whose refunds are needed
        (or, with transactions, whose kind is)."""
        paid = Invoice.objects.filter(system=self.system, status=PAID, tax=0, tax2=0, total__gt=0)
        targets = [wid for wid in paid.values_list("whmcs_id", flat=True) if wid not in known]
        returned = ReturnedInvoice.objects.filter(system=self.system)
        if read_refunds:
            targets += list(returned.filter(booked=False).values_list("whmcs_id", flat=True))
        else:
            targets += [
                wid
                for wid in returned.filter(tax=0, tax2=0, total__gt=0).values_list("whmcs_id", flat=True)
                if wid not in known
            ]
        return sorted(set(targets))

    # --- transactions: every refund -----------------------------------------------------------

    def _transactions(self) -> dict[int, list[Transaction]] | None:
        self.check()
        try:
            rows = self.source.transactions()
        except errors.PermissionMissing:
            self._refused(TRANSACTIONS)
            return None
        out: dict[int, list[Transaction]] = {}
        for tx in rows:
            out.setdefault(tx.invoice, []).append(tx)
        return out

    def _book_all(self, txs: dict[int, list[Transaction]]) -> None:
        """The transactions are complete: the refunds held become exactly theirs."""
        self._book(txs, only=None)
        n = ReturnedInvoice.objects.filter(system=self.system, booked=False).update(booked=True)
        self.changed |= bool(n)

    def _book(self, txs: dict[int, list[Transaction]], only: Iterable[int] | None) -> None:
        """Make the held refunds of the invoices in ``only`` (``None``: all) exactly the
        refunds in ``txs``, each split and converted by the money rule."""
        sources = {
            row.whmcs_id: row
            for model in (ReturnedInvoice, Invoice)
            for row in model.objects.filter(system=self.system).filter(
                Q(whmcs_id__in=list(txs)) if only is None else Q(whmcs_id__in=list(only))
            )
        }
        wanted: dict[int, dict[str, Any]] = {}
        for wid, rows in txs.items():
            invoice = sources.get(wid)
            if invoice is None:
                continue  # not an invoice that counts (never paid, cancelled, deleted)
            for tx in rows:
                if tx.money_out > 0:
                    wanted[tx.id] = self._refund_fields(invoice, tx)
        held = Refund.objects.filter(system=self.system)
        if only is not None:
            held = held.filter(whmcs_id__in=list(only))
        current = {r.transaction_id: r for r in held}
        with transaction.atomic():
            gone = [r.pk for tid, r in current.items() if tid not in wanted]
            if gone:
                Refund.objects.filter(pk__in=gone).delete()
                self.changed = True
            for tid, fields in wanted.items():
                old = current.get(tid)
                if old is not None and all(getattr(old, k) == v for k, v in fields.items()):
                    continue
                Refund.objects.update_or_create(system=self.system, transaction_id=tid, defaults=fields)
                self.changed = True

    def _refund_fields(self, invoice: Any, tx: Transaction) -> dict[str, Any]:
        net, tax = split_refund(tx.money_out, invoice.subtotal, invoice.tax + invoice.tax2)
        rate, net_base, tax_base = convert_invoice(self.book, invoice.currency, invoice.date, net, tax, ZERO)
        return {
            "whmcs_id": invoice.whmcs_id,
            "day": tx.day,
            "amount": tx.money_out,
            "net": net,
            "tax": tax,
            "currency": invoice.currency,
            "rate": rate,
            "net_base": net_base,
            "tax_base": tax_base,
            "invoice_date": invoice.date,
            "invoice_paid": invoice.date_paid,
        }


def reconvert(system: AccountingSystem, book: RateBook) -> int:
    """Re-convert the refunded invoices and the refunds held for ``system`` with ``book``
    (a rate change applied to history); returns how many changed. The caller refreshes the
    aggregates."""
    changed = 0
    for row in ReturnedInvoice.objects.filter(system=system):
        converted = convert_invoice(book, row.currency, row.date, row.subtotal, row.tax, row.tax2)
        if converted != (row.rate, row.net_base, row.tax_base):
            row.rate, row.net_base, row.tax_base = converted
            row.save(update_fields=["rate", "net_base", "tax_base"])
            changed += 1
    for refund in Refund.objects.filter(system=system):
        converted = convert_invoice(book, refund.currency, refund.invoice_date, refund.net, refund.tax, ZERO)
        if converted != (refund.rate, refund.net_base, refund.tax_base):
            refund.rate, refund.net_base, refund.tax_base = converted
            refund.save(update_fields=["rate", "net_base", "tax_base"])
            changed += 1
    return changed


def _missing(
    system: AccountingSystem, synced: bool = True
) -> tuple[type[InvoiceSource] | None, frozenset[str]]:
    """The system's source (its type's class) and the features it cannot use (nothing when its
    permissions were never checked, nor, with ``synced``, before its first full sync ends)."""
    try:
        source = system.type.source
    except KeyError:  # a type no longer installed
        return None, frozenset()
    if source is None or (synced and not system.last_full_sync_at):
        return source, frozenset()
    allowed = allowed_features(system, source)
    if allowed is None:
        return source, frozenset()
    return source, frozenset(FEATURES) - allowed


def _count_untaxed_paid(system_id: int) -> int:
    """Count the system's paid invoices without tax and keep the figure."""
    count = Invoice.objects.filter(system_id=system_id, status=PAID, tax=0, tax2=0, total__gt=0).count()
    try:
        with transaction.atomic():
            UntaxedPaidCount.objects.update_or_create(system_id=system_id, defaults={"count": count})
    except IntegrityError:  # another request kept the same figure at the same moment
        pass
    return count


def untaxed_paid(system_id: int) -> int:
    """How many paid invoices without tax the system holds: the kept figure, else counted once."""
    kept = UntaxedPaidCount.objects.filter(system_id=system_id).values_list("count", flat=True).first()
    return _count_untaxed_paid(system_id) if kept is None else kept


@receiver(invoices_changed, dispatch_uid="sync-forget-untaxed-paid")
def _forget_untaxed_paid(sender: object, system_id: int, **kwargs: Any) -> None:
    """In the transaction that changed the held invoices: the kept figure no longer holds.
    A sync counts again once at its end (:func:`keep_untaxed_paid`), not per page or window."""
    UntaxedPaidCount.objects.filter(system_id=system_id).delete()


def keep_untaxed_paid(system: AccountingSystem) -> None:
    """At the end of a sync: count the system's paid invoices without tax again while its
    revenue note shows the figure (a sync that stopped early leaves it to the first page that
    asks)."""
    needed = INVOICE_DETAILS in _missing(system, synced=False)[1]
    if needed and not UntaxedPaidCount.objects.filter(system_id=system.pk).exists():
        _count_untaxed_paid(system.pk)


def blind_spot(system: AccountingSystem) -> str:
    """What the revenue of ``system`` cannot tell apart with what its source offers and its
    account allows, said plainly in the source's words (with the permission that fixes it,
    where one does); ``""`` when nothing (or before the first full sync)."""
    source, missing = _missing(system)
    if source is None or not missing:
        return ""
    candidates = untaxed_paid(system.pk) if INVOICE_DETAILS in missing else 0
    return source.revenue_gap(system.name, missing, candidates)


def revenue_notes(systems: Iterable[AccountingSystem]) -> list[str]:
    """The :func:`blind_spot` of each system that has one (for reports and the systems list)."""
    return [note for note in (blind_spot(s) for s in systems) if note]
