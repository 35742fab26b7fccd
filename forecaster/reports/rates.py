"""Exchange rates applied to the invoices held: re-conversion and warnings.

Which rate converts an invoice, and the money rule, are the currency core's
(:mod:`forecaster.currency.rates`, :mod:`forecaster.currency.money`); this module works on
the invoices held for a system:

    >>> apply_to_history(system)        # re-convert them with the system's current rates
    12
    >>> rate_warnings([system])         # rates that would add currencies together wrongly
    []
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from forecaster.currency.base import base_currency
from forecaster.currency.money import ONE
from forecaster.currency.rates import RateBook, convert_invoice
from forecaster.lib.display import rate_text
from forecaster.reports import aggregates
from forecaster.sync.models import Invoice
from forecaster.systems.models import AccountingSystem


def invoices_per_currency(system_id: int) -> dict[str, int]:
    """How many invoices of a system are held in each currency (one grouped index scan)."""
    rows = Invoice.objects.filter(system_id=system_id).values_list("currency").annotate(n=Count("pk"))
    return {cur: n for cur, n in rows.order_by()}


def apply_to_history(system: AccountingSystem) -> int:
    """Re-convert every invoice held for ``system`` with its current rates; returns the count
    of invoices whose rate or converted amounts changed. Original amounts are untouched, and
    the aggregates are rebuilt in the same transaction, so reports switch over at once.
    """
    book = RateBook(system)
    changed = 0
    batch: list[Invoice] = []
    fields = ["rate", "net_base", "tax_base"]
    with transaction.atomic():
        rows = (
            Invoice.objects.filter(system_id=system.pk)
            .only("id", "currency", "date", "subtotal", "tax", "tax2", "rate", "net_base", "tax_base")
            .order_by("id")
        )
        for inv in rows.iterator(chunk_size=5000):
            rate, net, tax = convert_invoice(book, inv.currency, inv.date, inv.subtotal, inv.tax, inv.tax2)
            if (Decimal(inv.rate), Decimal(inv.net_base), Decimal(inv.tax_base)) == (rate, net, tax):
                continue
            inv.rate, inv.net_base, inv.tax_base = rate, net, tax
            batch.append(inv)
            changed += 1
            if len(batch) >= 2000:
                Invoice.objects.bulk_update(batch, fields)
                batch = []
        if batch:
            Invoice.objects.bulk_update(batch, fields)
        from forecaster.sync.ledger import reconvert

        changed += reconvert(system, book)  # refunded invoices and refunds: the same rule
        aggregates.refresh(system.pk)
    return changed


def reconvert_all_revenue() -> int:
    """Re-convert the invoices of every system (after a change of base currency)."""
    return sum(apply_to_history(system) for system in AccountingSystem.objects.all())


def revenue_held() -> bool:
    """Whether any invoice is held (so a change of base currency has amounts to re-convert)."""
    return Invoice.objects.exists()


# --- warnings --------------------------------------------------------------------------------
def currencies_held(system_id: int) -> list[str]:
    """The distinct invoice currencies of a system, by index seeks on (system, currency).

    One ``ORDER BY currency LIMIT 1`` probe per currency instead of scanning every invoice,
    so it costs a handful of index lookups even with millions of invoices.
    """
    found: list[str] = []
    rows = Invoice.objects.filter(system_id=system_id).order_by("currency")
    last: str | None = None
    while True:
        probe = rows if last is None else rows.filter(currency__gt=last)
        cur = probe.values_list("currency", flat=True).first()
        if cur is None:
            return found
        found.append(cur)
        last = cur


@dataclass(frozen=True)
class RateWarning:
    """A rate problem of one system; ``str()`` is the message."""

    system_id: int
    message: str

    def __str__(self) -> str:
        return self.message


def rate_warnings(systems: Iterable[AccountingSystem]) -> list[RateWarning]:
    """Warnings about rates that would add different currencies together wrongly.

    A system warns when invoices in more than one currency all fall back to its single fixed
    rate, or when a foreign currency is counted at the default rate 1.
    """
    base = base_currency()
    out: list[RateWarning] = []
    for system in systems:
        book = RateBook(system, base=base)
        on_fixed = [c for c in currencies_held(system.pk) if c and book.choice(c).kind == "fixed"]
        if len(on_fixed) > 1:
            out.append(
                RateWarning(
                    system.pk,
                    _(
                        "%(system)s: invoices in %(currencies)s are all converted with the one "
                        "exchange rate %(rate)s — set a rate per currency, or the report adds "
                        "different currencies together."
                    )
                    % {
                        "system": system.name,
                        "currencies": ", ".join(on_fixed),
                        "rate": rate_text(book.fixed),
                    },
                )
            )
        elif on_fixed and book.fixed == ONE:
            out.append(
                RateWarning(
                    system.pk,
                    _(
                        "%(system)s: %(currency)s invoices are counted 1:1 as %(base)s — set the "
                        "exchange rate if %(currency)s is not %(base)s."
                    )
                    % {"system": system.name, "currency": on_fixed[0], "base": base},
                )
            )
    return out
