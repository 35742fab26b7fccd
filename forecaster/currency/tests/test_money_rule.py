"""The per-invoice money rule has one definition; its text fast path agrees with it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from forecaster.currency.money import base_amounts, base_amounts_text

cents = st.integers(min_value=-(10**11), max_value=10**13).map(lambda c: Decimal(c).scaleb(-2))
rates = st.one_of(
    st.just(Decimal("1.000000")),
    st.integers(min_value=1, max_value=10**9).map(lambda r: Decimal(r).scaleb(-6)),
)


def test_net_and_tax_are_each_rounded_half_up_on_their_own():
    assert base_amounts(Decimal("0.250000"), Decimal("10.02"), Decimal("0.02"), Decimal("0.00")) == (
        Decimal("2.51"),
        Decimal("0.01"),
    )
    assert base_amounts(Decimal("0.500000"), Decimal("0.01"), Decimal("0.01"), Decimal("0.02")) == (
        Decimal("0.01"),
        Decimal("0.02"),
    )


@given(rates, cents, cents, cents)
def test_the_text_fast_path_is_the_same_rule(rate, net, tax, tax2):
    as_text = base_amounts_text(rate, str(net), str(tax), str(tax2))
    assert tuple(Decimal(x) for x in as_text) == base_amounts(rate, net, tax, tax2)
