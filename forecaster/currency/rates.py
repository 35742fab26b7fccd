"""Which exchange rate converts an invoice into the base currency.

    >>> book = RateBook(system)
    >>> book.rate("PLN", date(2024, 1, 31))
    Decimal('0.250000')
    >>> convert_invoice(book, "PLN", date(2024, 1, 31), Decimal("10.00"), Decimal("2.30"), Decimal(0))
    (Decimal('0.250000'), Decimal('2.50'), Decimal('0.58'))

The rate of one invoice, first match wins:

1. the system's per-currency rate for the invoice currency (``SystemCurrencyRate``);
2. with the system's rate source set to ECB: the ECB reference rate on the invoice date
   (cross rate through EUR, :mod:`forecaster.currency.ecb`);
3. 1 when the invoice is already in the base currency;
4. the system's fixed exchange rate (the original product's single "Exchange rate").

The sync engine asks a ``RateBook`` for each invoice's rate and stores the rate with the
converted amounts, so history is never silently rewritten when a rate changes: only an
explicit re-conversion changes invoices already held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from forecaster.currency.base import base_currency
from forecaster.currency.ecb import ecb_currencies, ecb_rate
from forecaster.currency.models import RateSource, SystemCurrencyRate, SystemRatePolicy
from forecaster.currency.money import ONE, base_amounts, quantize_rate


class RatedSystem(Protocol):
    """What a rate book needs of an accounting system."""

    pk: int
    exchange_rate: Decimal


@dataclass(frozen=True)
class RateChoice:
    """Which rule gives a currency its rate: ``specific``, ``ecb``, ``base`` or ``fixed``."""

    kind: str
    rate: Decimal | None  # None for ``ecb`` (it depends on the day)


class RateBook:
    """The rates of one system; create one per sync (it caches the system's settings)."""

    def __init__(self, system: RatedSystem, base: str | None = None) -> None:
        self.system = system
        self.base = base or base_currency()
        self.fixed = quantize_rate(Decimal(system.exchange_rate))
        self._specific: dict[str, Decimal] | None = None
        self._source: str | None = None
        self._memo: dict[str | None, Decimal] = {}

    def _load(self) -> tuple[dict[str, Decimal], str]:
        if self._specific is None or self._source is None:
            self._specific = {
                cur: quantize_rate(Decimal(rate))
                for cur, rate in SystemCurrencyRate.objects.filter(system_id=self.system.pk).values_list(
                    "currency", "rate"
                )
            }
            policy = (
                SystemRatePolicy.objects.filter(system_id=self.system.pk)
                .values_list("source", flat=True)
                .first()
            )
            self._source = policy or RateSource.FIXED
        return self._specific, self._source

    @property
    def source(self) -> str:
        return self._load()[1]

    @property
    def specific(self) -> dict[str, Decimal]:
        return self._load()[0]

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
        remembered = self._memo.get(currency)
        if remembered is not None:
            return remembered
        choice = self.choice(currency)
        if choice.rate is not None:
            self._memo[currency] = choice.rate
            return choice.rate
        found = ecb_rate((currency or "").strip().upper(), self.base, day)
        return self.fixed if found is None else found


def convert_invoice(
    book: RateBook, currency: str | None, day: date, subtotal: Decimal, tax: Decimal, tax2: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """``(rate, net_base, tax_base)`` of one invoice: its rate from ``book``, then the money
    rule (:func:`forecaster.currency.money.base_amounts`)."""
    rate = book.rate(currency, day)
    net, tax_base = base_amounts(rate, Decimal(subtotal), Decimal(tax), Decimal(tax2))
    return rate, net, tax_base
