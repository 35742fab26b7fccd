"""Tiny builders that read like money: ``inv(sys_pln, id=7, date="2024-01-31", net="10.00")``.

They store invoices the way the sync engine does — original amounts kept, the rate from a
``RateBook`` and each converted amount rounded half-up — then refresh the aggregates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from forecaster.reports import aggregates
from forecaster.reports.rates import RateBook, convert_invoice
from forecaster.sync.models import PAID, Invoice
from forecaster.systems.models import AccountingSystem


def system(name: str, rate: str = "1", **extra) -> AccountingSystem:
    return AccountingSystem.objects.create(
        name=name,
        url=f"https://{name.lower()}.example/includes/api.php",
        identifier=f"id-{name}",
        exchange_rate=Decimal(rate),
        **extra,
    )


def inv(
    sys: AccountingSystem,
    id: int,
    date: str,
    net: str,
    tax: str = "0.00",
    tax2: str = "0.00",
    currency: str = "USD",
    status: str = PAID,
    paid: str | None = None,
    refresh: bool = True,
) -> Invoice:
    """One invoice; ``paid`` is the date paid (default: the invoice date, at noon UTC)."""
    day = _date(date)
    paid_day = _date(paid) if paid else day
    book = RateBook(sys)
    rate, net_base, tax_base = convert_invoice(book, currency, day, Decimal(net), Decimal(tax), Decimal(tax2))
    total = Decimal(net) + Decimal(tax) + Decimal(tax2)
    row = Invoice.objects.create(
        system=sys,
        whmcs_id=id,
        number=f"FV/{id}",
        date=day,
        date_paid=datetime(paid_day.year, paid_day.month, paid_day.day, 12, tzinfo=UTC),
        status=status,
        subtotal=Decimal(net),
        tax=Decimal(tax),
        tax2=Decimal(tax2),
        credit=Decimal("0.00"),
        total=total,
        taxrate=Decimal("0"),
        taxrate2=Decimal("0"),
        currency=currency,
        rate=rate,
        net_base=net_base,
        tax_base=tax_base,
    )
    if refresh:
        aggregates.refresh(sys.pk)
    return row


def _date(value: str) -> date:
    return date.fromisoformat(value)
