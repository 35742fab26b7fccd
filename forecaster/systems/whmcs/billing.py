"""What WHMCS books beyond the paid invoices, read for the sync's ledger: the kind of an invoice
(GetInvoice's items) and its transactions (GetInvoice, GetTransactions).

    >>> details({"items": {"item": [{"type": "AddFunds"}]}, "transactions": ""}).kind
    'deposit'
    >>> transaction({"id": "9", "invoiceid": "7", "date": "2024-03-01", "amountout": "5.00"}).money_out
    Decimal('5.00')

Nothing else of an answer is kept: no descriptions, no client, no gateway.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext, ngettext

from forecaster.lib.display import count_text
from forecaster.lib.money import parse_amount
from forecaster.systems.source import (
    DEPOSIT,
    INVOICE_DETAILS,
    MASS_PAYMENT,
    SALE,
    TRANSACTIONS,
    InvoiceDetails,
    Transaction,
)

# WHMCS's permission for each feature (the API role's actions; stored lower-case on the system).
PERMISSIONS = {INVOICE_DETAILS: "GetInvoice", TRANSACTIONS: "GetTransactions"}
# Invoices that were paid and whose money went back: refunded in full, charged back.
RETURNED_STATUSES = ("Refunded", "Collections")


def kind_of(items: list[dict]) -> str:
    """An invoice's kind from its GetInvoice items: all ``AddFunds`` is a deposit, any
    ``Invoice`` item a mass payment, anything else a sale."""
    types = [str(item.get("type", "")).strip().lower() for item in items]
    if types and all(t == "addfunds" for t in types):
        return DEPOSIT
    if "invoice" in types:
        return MASS_PAYMENT
    return SALE


def details(data: dict) -> InvoiceDetails:
    """A GetInvoice answer as its kind and readable transactions."""
    txs = [transaction(raw) for raw in listed(data.get("transactions"), "transaction")]
    return InvoiceDetails(kind=kind_of(listed(data.get("items"), "item")), transactions=[t for t in txs if t])


def transaction(raw: object) -> Transaction | None:
    """A transaction's id, invoice, date and amounts, or ``None`` when unreadable."""
    if not isinstance(raw, dict):
        return None
    try:
        tx_id, invoice = _int(raw.get("id")), _int(raw.get("invoiceid"))
        day = date.fromisoformat(str(raw.get("date", ""))[:10])
        money_in = parse_amount(raw.get("amountin", "0") or "0")
        money_out = parse_amount(raw.get("amountout", "0") or "0")
    except (TypeError, ValueError):
        return None
    if tx_id is None or not invoice:
        return None
    return Transaction(id=tx_id, invoice=invoice, day=day, money_in=money_in, money_out=money_out)


def listed(value: object, element: str) -> list[dict]:
    """The dicts of a WHMCS list (``{"item": [...]}``, one object, ``""``)."""
    if isinstance(value, dict):
        value = value.get(element)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def revenue_gap(system: str, missing: frozenset[str], candidates: int) -> str:
    """What the API role keeps the revenue of ``system`` from telling apart, with the
    permission that fixes it (see ``InvoiceSource.revenue_gap``)."""
    if INVOICE_DETAILS in missing:
        return ngettext(
            "%(system)s: the API role allows only GetInvoices, so deposits (Add Funds), mass payments "
            "and partial refunds cannot be told apart from sales: %(count)s paid invoice without tax "
            "may be a deposit or a mass payment counted as revenue, and refunds are not subtracted. "
            "Allow GetInvoice in the WHMCS API role (Billing) to fix it.",
            "%(system)s: the API role allows only GetInvoices, so deposits (Add Funds), mass payments "
            "and partial refunds cannot be told apart from sales: %(count)s paid invoices without tax "
            "may be deposits or mass payments counted as revenue, and refunds are not subtracted. "
            "Allow GetInvoice in the WHMCS API role (Billing) to fix it.",
            candidates,
        ) % {"system": system, "count": count_text(candidates)}
    if TRANSACTIONS in missing:
        return gettext(
            "%(system)s: the API role does not allow GetTransactions, so a partial refund of an invoice "
            "that is still paid is not subtracted. Allow GetTransactions in the WHMCS API role "
            "(Billing) to book every refund."
        ) % {"system": system}
    return ""


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
