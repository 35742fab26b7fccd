"""The per-invoice money rule: net and tax each rounded half-up to the cent on its own."""

from __future__ import annotations

from decimal import Decimal

from forecaster.currency.money import base_amounts


def test_net_and_tax_are_each_rounded_half_up_on_their_own():
    assert base_amounts(Decimal("0.250000"), Decimal("10.02"), Decimal("0.02"), Decimal("0.00")) == (
        Decimal("2.51"),
        Decimal("0.01"),
    )
    assert base_amounts(Decimal("0.500000"), Decimal("0.01"), Decimal("0.01"), Decimal("0.02")) == (
        Decimal("0.01"),
        Decimal("0.02"),
    )
