"""Money rules (product.md): ``Decimal`` end to end, half-up to the cent, two-decimal strings.

(Conversion into the base currency is the currency core's: :mod:`forecaster.currency.money`.)

>>> round_cents(Decimal("10.005"))
Decimal('10.01')
>>> fmt(Decimal("3"))
'3.00'
>>> parse_amount("15.95")
Decimal('15.95')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def parse_amount(value: object) -> Decimal:
    """A WHMCS amount (string or int) as ``Decimal``; raises ``ValueError`` when unparsable.

    Floats are refused: they have already lost the exact value.
    """
    if isinstance(value, (bool, float)):
        raise ValueError(f"amount must be a decimal string, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    else:
        raise ValueError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


def round_cents(amount: Decimal) -> Decimal:
    """Round half-up to 0.01."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def split_refund(amount: Decimal, subtotal: Decimal, tax: Decimal) -> tuple[Decimal, Decimal]:
    """A refund of an invoice split into ``(net, tax)`` in the invoice's own proportion: net =
    ``amount × subtotal / (subtotal + tax)`` rounded half-up to the cent, tax = amount − net.

    >>> split_refund(Decimal("50.00"), Decimal("100.00"), Decimal("23.00"))
    (Decimal('40.65'), Decimal('9.35'))
    """
    gross = subtotal + tax
    if not gross:
        return round_cents(amount), ZERO
    net = round_cents(amount * subtotal / gross)
    return net, amount - net


def fmt(amount: Decimal | int | None) -> str:
    """Two-decimal string, the only way amounts leave the program."""
    if amount is None:
        amount = ZERO
    return str(round_cents(Decimal(amount)))
