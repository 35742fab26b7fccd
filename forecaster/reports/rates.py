"""Which exchange rate converts an invoice into the base currency.

    >>> book = RateBook(system)
    >>> book.rate("PLN", date(2024, 1, 31))
    Decimal('1.000000')

The sync engine asks a ``RateBook`` for each invoice's rate and stores the rate with the
converted amounts, so history is never silently rewritten when a rate changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal


class RateBook:
    """The rates of one system (the system's fixed exchange rate for now)."""

    def __init__(self, system) -> None:
        self.system = system

    def rate(self, currency: str, day: date) -> Decimal:
        return Decimal(self.system.exchange_rate)


def apply_to_history(system) -> int:
    """Re-convert every invoice held for ``system`` with its current rates; returns the count."""
    raise NotImplementedError
