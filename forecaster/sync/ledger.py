"""What WHMCS books beyond the paid invoices: deposits, mass payments, refunds, chargebacks.

Runs at the end of every sync run, with the run's client, after the engine has brought the paid
invoices up to date (``run_sync`` calls it)::

    Ledger(system, client, run, full=True, check=engine_check).update()

What it can do depends on the API role (``AccountingSystem.api_actions``, learnt once with
three cheap requests and kept up to date whenever WHMCS refuses a call):

* **GetInvoices only**: nothing — revenue is the paid invoices, as the original product did;
  reports and the systems list say what cannot be told apart (see :func:`blind_spots`).
* **GetInvoice**: each paid invoice without tax that was paid with money (only those can be
  deposits or mass payments: WHMCS charges no tax on Add Funds and Mass Payment invoices) is
  read once with GetInvoice and its kind kept (:class:`InvoiceDetail`). Invoices refunded in
  full or charged back (status Refunded / Collections) are held (:class:`ReturnedInvoice`) and
  their transactions read once with GetInvoice, so their refunds are booked on their own dates.
* **GetTransactions**: one request lists every transaction, so every refund and chargeback —
  partial ones too — is booked (:class:`Refund`), at each sync.

A full sync re-reads the Refunded and Collections invoices (GetInvoices pages). An everyday
sync reads them again only when something says they changed: the paid sync of the run found
paid invoices gone, or (with GetTransactions) a refund of an invoice that is neither paid nor
held as returned. An invoice paid and refunded in full between two syncs without
GetTransactions waits for the next full sync (the daily schedule runs one regularly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext, ngettext

from forecaster.currency.rates import RateBook, convert_invoice
from forecaster.lib.display import count_text
from forecaster.lib.money import ZERO, parse_amount, split_refund
from forecaster.sync.models import (
    PAID,
    Invoice,
    InvoiceDetail,
    InvoiceKind,
    Refund,
    ReturnedInvoice,
)
from forecaster.sync.signals import invoices_changed
from forecaster.systems import errors
from forecaster.systems.models import AccountingSystem
from forecaster.systems.whmcs.records import BadRecord, parse_invoice

log = logging.getLogger(__name__)

ACTIONS = ("getinvoices", "getinvoice", "gettransactions")
RETURNED_STATUSES = ("Refunded", "Collections")
# The permission that lets the product tell deposits and mass payments from sales.
FIXING_PERMISSION = "GetInvoice"


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


def is_candidate(row: Any) -> bool:
    """Could this paid invoice be a deposit or a mass payment? Only without tax and paid with
    money (``total`` > 0)."""
    return row.tax == 0 and row.tax2 == 0 and row.total > 0


def kind_of(items: list[dict]) -> str:
    """An invoice's kind from its GetInvoice items: all ``AddFunds`` is a deposit, any
    ``Invoice`` item a mass payment, anything else a sale."""
    types = [str(item.get("type", "")).strip().lower() for item in items]
    if types and all(t == "addfunds" for t in types):
        return InvoiceKind.DEPOSIT
    if "invoice" in types:
        return InvoiceKind.MASS_PAYMENT
    return InvoiceKind.SALE


class Ledger:
    """One run's update of the deposits, mass payments and refunds of ``system``."""

    def __init__(
        self,
        system: AccountingSystem,
        client: Any,
        *,
        full: bool,
        check: Callable[[], None] = lambda: None,
        size: int | None = None,
        removed: int = 0,
    ) -> None:
        self.system = system
        self.client = client
        self.full = full
        self.check = check
        self.size = max(1, int(size or system.step))
        self.book = RateBook(system)
        self.removed = removed  # paid invoices this run found no longer paid
        self.changed = False

    # --- the run ------------------------------------------------------------------------------

    def update(self) -> None:
        """Bring deposits, mass payments and refunds up to date; refresh the aggregates."""
        if not hasattr(self.client, "get_transactions"):
            return  # a test double that speaks GetInvoices only
        actions = self._actions()
        if not actions & {"getinvoice", "gettransactions"}:
            self._forget()
        else:
            with_tx = "gettransactions" in actions
            txs = self._transactions() if with_tx else None
            if txs is None:
                with_tx = False
            self._returned(txs)
            if "getinvoice" in self._actions():
                self._details(read_refunds=not with_tx)
            if with_tx and txs is not None:
                self._book_all(txs)
        if self.changed:
            with transaction.atomic():
                invoices_changed.send(Invoice, system_id=self.system.pk, days=None, paid_days=None)

    def _actions(self) -> set[str]:
        known = known_actions(self.system)
        if known is None:
            # The paid invoices were just read: GetInvoices is allowed; ask about the other two.
            remember_actions(self.system, self.client.allowed_actions({"GetInvoices": True}, retry=True))
            known = known_actions(self.system) or set()
        return known

    def _refused(self, action: str) -> None:
        """WHMCS refused ``action``: the role changed since it was learnt."""
        known = (known_actions(self.system) or set()) - {action}
        remember_actions(self.system, {a: a in known for a in ACTIONS})

    def _forget(self) -> None:
        """No permission beyond GetInvoices (any more): revenue is the paid invoices."""
        for model in (InvoiceDetail, ReturnedInvoice, Refund):
            deleted, _n = model.objects.filter(system=self.system).delete()
            self.changed |= bool(deleted)

    # --- invoices refunded in full or charged back --------------------------------------------

    def _returned(self, txs: dict[int, list[dict]] | None) -> None:
        if not self.full and not self._returned_moved(txs):
            return
        for status in RETURNED_STATUSES:
            self._replace_returned(status, self._read_status(status))

    def _returned_moved(self, txs: dict[int, list[dict]] | None) -> bool:
        """Could the Refunded or Collections invoices have changed since the last sync?"""
        # An invoice refunded in full or charged back leaves the paid invoices, which the paid
        # sync of this run has just noticed (no request needed).
        if self.removed > 0 or txs is None:
            return self.removed > 0
        # Every refund is in the transactions: a refunded invoice that is neither paid nor held
        # as returned is what changed.
        refunded = {wid for wid, rows in txs.items() if any(t["out"] for t in rows)}
        held = {
            wid
            for model in (Invoice, ReturnedInvoice)
            for wid in model.objects.filter(system=self.system, whmcs_id__in=refunded).values_list(
                "whmcs_id", flat=True
            )
        }
        return bool(refunded - held)

    def _read_status(self, status: str) -> list[Any]:
        """Every invoice of ``status``, Step per request (the client never ends on a short page)."""
        records: dict[int, Any] = {}
        start = 0
        while True:
            self.check()
            page = self.client.get_invoices(limitstart=start, limitnum=self.size, status=status)
            for raw in page.records:
                try:
                    rec = parse_invoice(raw)
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

    # --- GetInvoice: kinds, and refunds of returned invoices without GetTransactions ------------

    def _details(self, *, read_refunds: bool) -> None:
        known = set(InvoiceDetail.objects.filter(system=self.system).values_list("whmcs_id", flat=True))
        paid = Invoice.objects.filter(system=self.system, status=PAID, tax=0, tax2=0, total__gt=0)
        targets = [wid for wid in paid.values_list("whmcs_id", flat=True) if wid not in known]
        returned = ReturnedInvoice.objects.filter(system=self.system)
        if read_refunds:
            unbooked = returned.filter(booked=False)
            targets += list(unbooked.values_list("whmcs_id", flat=True))
        else:
            targets += [
                wid
                for wid in returned.filter(tax=0, tax2=0, total__gt=0).values_list("whmcs_id", flat=True)
                if wid not in known
            ]
        for wid in sorted(set(targets)):
            self.check()
            try:
                data = self.client.get_invoice(wid)
            except errors.PermissionMissing:
                self._refused("getinvoice")
                return
            except errors.WhmcsError as exc:
                if "not found" in str(exc.message).lower():
                    continue  # deleted meanwhile
                raise
            items = _list(data.get("items"), "item")
            if wid not in known:
                InvoiceDetail.objects.update_or_create(
                    system=self.system, whmcs_id=wid, defaults={"kind": kind_of(items)}
                )
                known.add(wid)
                self.changed = True
            if read_refunds:
                txs = [
                    t
                    for t in (_transaction(raw) for raw in _list(data.get("transactions"), "transaction"))
                    if t
                ]
                self._book({wid: txs}, only=[wid])
                n = ReturnedInvoice.objects.filter(system=self.system, whmcs_id=wid, booked=False).update(
                    booked=True
                )
                self.changed |= bool(n)

    # --- GetTransactions: every refund --------------------------------------------------------

    def _transactions(self) -> dict[int, list[dict]] | None:
        self.check()
        try:
            rows = self.client.get_transactions()
        except errors.PermissionMissing:
            self._refused("gettransactions")
            return None
        out: dict[int, list[dict]] = {}
        for raw in rows:
            tx = _transaction(raw)
            if tx is not None:
                out.setdefault(tx["invoice"], []).append(tx)
        return out

    def _book_all(self, txs: dict[int, list[dict]]) -> None:
        """The transactions are complete: the refunds held become exactly theirs."""
        self._book(txs, only=None)
        n = ReturnedInvoice.objects.filter(system=self.system, booked=False).update(booked=True)
        self.changed |= bool(n)

    def _book(self, txs: dict[int, list[dict]], only: Iterable[int] | None) -> None:
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
                if tx["out"] > 0:
                    wanted[tx["id"]] = self._refund_fields(invoice, tx)
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

    def _refund_fields(self, invoice: Any, tx: dict) -> dict[str, Any]:
        net, tax = split_refund(tx["out"], invoice.subtotal, invoice.tax + invoice.tax2)
        rate, net_base, tax_base = convert_invoice(self.book, invoice.currency, invoice.date, net, tax, ZERO)
        return {
            "whmcs_id": invoice.whmcs_id,
            "day": tx["day"],
            "amount": tx["out"],
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


def _transaction(raw: object) -> dict | None:
    """A transaction's id, invoice, date and amounts — nothing else is kept."""
    if not isinstance(raw, dict):
        return None
    try:
        tx_id, invoice = _int(raw.get("id")), _int(raw.get("invoiceid"))
        day = date.fromisoformat(str(raw.get("date", ""))[:10])
        amount_in = parse_amount(raw.get("amountin", "0") or "0")
        amount_out = parse_amount(raw.get("amountout", "0") or "0")
    except (TypeError, ValueError):
        return None
    if tx_id is None or not invoice:
        return None
    return {"id": tx_id, "invoice": invoice, "day": day, "in": amount_in, "out": amount_out}


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _list(value: object, element: str) -> list[dict]:
    if isinstance(value, dict):
        value = value.get(element)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def blind_spot(system: AccountingSystem) -> str:
    """What the revenue of ``system`` cannot tell apart with the role it has, said plainly
    with the permission that fixes it; ``""`` when nothing (or before the first sync)."""
    known = known_actions(system)
    if known is None or not system.last_full_sync_at:
        return ""
    if "getinvoice" not in known:
        count = Invoice.objects.filter(system=system, status=PAID, tax=0, tax2=0, total__gt=0).count()
        return ngettext(
            "%(system)s: the API role allows only GetInvoices, so deposits (Add Funds), mass payments "
            "and partial refunds cannot be told apart from sales: %(count)s paid invoice without tax "
            "may be a deposit or a mass payment counted as revenue, and refunds are not subtracted. "
            "Allow GetInvoice in the WHMCS API role (Billing) to fix it.",
            "%(system)s: the API role allows only GetInvoices, so deposits (Add Funds), mass payments "
            "and partial refunds cannot be told apart from sales: %(count)s paid invoices without tax "
            "may be deposits or mass payments counted as revenue, and refunds are not subtracted. "
            "Allow GetInvoice in the WHMCS API role (Billing) to fix it.",
            count,
        ) % {"system": system.name, "count": count_text(count)}
    if "gettransactions" not in known:
        return gettext(
            "%(system)s: the API role does not allow GetTransactions, so a partial refund of an invoice "
            "that is still paid is not subtracted. Allow GetTransactions in the WHMCS API role "
            "(Billing) to book every refund."
        ) % {"system": system.name}
    return ""


def revenue_notes(systems: Iterable[AccountingSystem]) -> list[str]:
    """The :func:`blind_spot` of each system that has one (for reports and the systems list)."""
    return [note for note in (blind_spot(s) for s in systems) if note]
