"""Converting a cost invoice into the base currency — the one place that picks its rate.

    >>> convert_cost("EUR", date(2024, 1, 31), Decimal("100.00"), Decimal("23.00"))
    Converted(rate=Decimal('1.081000'), kind='ecb', base='USD', net=Decimal('108.10'), vat=Decimal('24.86'))

The same rules as revenue, first match wins:

1. a fixed rate for the invoice currency set for cost invoices (``CostCurrencyRate``);
2. 1 when the invoice is already in the base currency;
3. the ECB reference rate on the document date (no network: the shipped history);
4. otherwise :class:`NoRate` — the user must set a rate for that currency.

Net and VAT are each converted and rounded half-up to the cent (per invoice: the money rule,
:func:`forecaster.currency.money.base_amounts`), and the base gross is their sum, so base
amounts always add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from forecaster.currency.base import base_currency
from forecaster.currency.ecb import ecb_rate
from forecaster.currency.money import ONE, base_amounts, quantize_rate


class NoRate(ValueError):
    """No rate converts this currency; the message says what to set."""


@dataclass(frozen=True)
class Converted:
    rate: Decimal
    kind: str  # "specific", "base" or "ecb"
    base: str
    net: Decimal
    vat: Decimal


def rate_for(currency: str, day: date, base: str | None = None) -> tuple[Decimal, str]:
    """``(rate, kind)`` converting ``currency`` on ``day`` into the base currency."""
    from forecaster.costs.models import CostCurrencyRate

    base = base or base_currency()
    cur = (currency or "").strip().upper()
    specific = CostCurrencyRate.objects.filter(currency=cur).values_list("rate", flat=True).first()
    if specific is not None:
        return quantize_rate(Decimal(specific)), "specific"
    if cur == base:
        return ONE, "base"
    found = ecb_rate(cur, base, day)
    if found is not None:
        return found, "ecb"
    raise NoRate(
        _("No exchange rate for %(cur)s: set a rate for %(cur)s under Costs › Exchange rates.") % {"cur": cur}
    )


def convert_cost(currency: str, day: date, net: Decimal, vat: Decimal, base: str | None = None) -> Converted:
    """The base-currency amounts of one cost invoice (each rounded half-up to the cent)."""
    base = base or base_currency()
    rate, kind = rate_for(currency, day, base)
    net_base, vat_base = base_amounts(rate, Decimal(net), Decimal(vat))
    return Converted(rate, kind, base, net_base, vat_base)


def reconvert_all() -> int:
    """Convert every cost invoice again into the base currency in effect (after a change of
    base currency); returns how many changed. Raises :class:`NoRate` when one cannot be
    converted, so the caller's transaction keeps the old amounts.
    """
    from forecaster.costs import aggregates
    from forecaster.costs.models import CostInvoice

    fields = [
        "rate",
        "rate_kind",
        "base_currency",
        "net_base",
        "vat_base",
        "net_base_cents",
        "vat_base_cents",
    ]
    changed = []
    for invoice in CostInvoice.objects.order_by("id").iterator(chunk_size=2000):
        before = [getattr(invoice, f) for f in fields]
        invoice.convert()
        if [getattr(invoice, f) for f in fields] != before:
            changed.append(invoice)
    CostInvoice.objects.bulk_update(changed, fields, batch_size=2000)
    aggregates.rebuild()
    return len(changed)


def costs_held() -> bool:
    """Whether any cost invoice is held."""
    from forecaster.costs.models import CostInvoice

    return CostInvoice.objects.exists()
