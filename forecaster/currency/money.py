"""Conversion into the base currency: one amount, and the per-invoice money rule.

    >>> convert(Decimal("10.005"), Decimal("1"))
    Decimal('10.01')
    >>> base_amounts(Decimal("0.250000"), Decimal("10.00"), Decimal("2.30"), Decimal("0.00"))
    (Decimal('2.50'), Decimal('0.58'))

**The money rule of one invoice** (README, "Money"): the invoice's rate (6 decimal places,
:class:`~forecaster.currency.rates.RateBook`), its net = subtotal × rate and its tax =
(tax + tax2) × rate, each rounded half-up to the cent on its own. Sums are sums of those
rounded amounts, so every total adds up to its rows. Revenue (sync, re-conversion, test
builders) and costs use :func:`base_amounts`; the sync engine's raw-SQL fast path uses
:func:`base_amounts_text`, the same rule on the text WHMCS sent.
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


def base_amounts_text(rate: Decimal, net: str, tax: str, tax2: str) -> tuple[str, str]:
    """:func:`base_amounts` on two-decimal amounts as text, answered as text (the sync
    engine's fast path writes text straight into SQLite).

    At rate 1 the rule gives each two-decimal amount back unchanged, so the text is reused
    without building a ``Decimal`` (the common case: invoices in the base currency).

    >>> base_amounts_text(Decimal("1.000000"), "10.00", "2.30", "0.00")
    ('10.00', '2.30')
    """
    if rate == 1:
        if tax2 == "0.00" and tax != "-0.00":
            return net, tax
        return net, str(Decimal(tax) + Decimal(tax2))
    net_base, tax_base = base_amounts(rate, Decimal(net), Decimal(tax), Decimal(tax2))
    return str(net_base), str(tax_base)
