"""Conversion into the base currency: one amount, and the per-invoice money rule.

    >>> convert(Decimal("10.005"), Decimal("1"))
    Decimal('10.01')
    >>> base_amounts(Decimal("0.250000"), Decimal("10.00"), Decimal("2.30"), Decimal("0.00"))
    (Decimal('2.50'), Decimal('0.58'))

**The money rule of one invoice** (README, "Money"): the invoice's rate (6 decimal places,
:class:`~forecaster.currency.rates.RateBook`), its net = subtotal × rate and its tax =
(tax + tax2) × rate, each rounded half-up to the cent on its own. Sums are sums of those
rounded amounts, so every total adds up to its rows. Revenue (sync, re-conversion, test
builders) and costs use :func:`base_amounts`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from forecaster.lib.money import round_cents

RATE_PLACES = Decimal("0.000001")
ONE = Decimal("1.000000")
ZERO = Decimal("0.00")


def quantize_rate(value: Decimal) -> Decimal:
    """A rate as stored on invoices: six decimal places, half-up.

    >>> quantize_rate(Decimal("0.2500004"))
    Decimal('0.250000')
    """
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """One amount in the base currency: ``amount × rate`` rounded half-up to the cent."""
    return round_cents(amount * rate)


def base_amounts(rate: Decimal, net: Decimal, tax: Decimal, tax2: Decimal = ZERO) -> tuple[Decimal, Decimal]:
    """``(net_base, tax_base)`` of one invoice converted with ``rate``: the money rule.

    >>> base_amounts(Decimal("4.000000"), Decimal("0.125"), Decimal("1.00"))
    (Decimal('0.50'), Decimal('4.00'))
    """
    return convert(net, rate), convert(tax + tax2, rate)
