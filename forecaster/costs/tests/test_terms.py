"""Contract-term rules on hand-checked calendars (commitments.md, "Contract terms")."""

from datetime import date
from decimal import Decimal

import pytest

from forecaster.costs.terms import (
    Change,
    Notice,
    Terms,
    add_months,
    cancel_by,
    earliest_end,
    months_inclusive,
    term_end,
    terms_on,
    to_end,
)

D = date


# --- calendar ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2023, 5, 31), -3, D(2023, 2, 28)),  # the specification's example
        (D(2024, 5, 31), -3, D(2024, 2, 29)),  # leap year
        (D(2024, 3, 30), -1, D(2024, 2, 29)),
        (D(2023, 3, 30), -1, D(2023, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 6, 30), -3, D(2024, 3, 30)),  # a day that exists is kept, not moved to month end
        (D(2024, 12, 31), 2, D(2025, 2, 28)),
        (D(2025, 1, 15), -13, D(2023, 12, 15)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_last_day(day, months, expected):
    assert add_months(day, months) == expected


def test_months_inclusive_counts_both_months_and_is_zero_backwards():
    assert months_inclusive(D(2024, 1, 31), D(2024, 1, 1)) == 0
    assert months_inclusive(D(2024, 1, 1), D(2024, 1, 31)) == 1
    assert months_inclusive(D(2023, 11, 30), D(2024, 2, 1)) == 4
    assert months_inclusive(D(2024, 3, 1), D(2024, 2, 28)) == 0


# --- terms in force -----------------------------------------------------------------------------
BASE = Terms(
    starts_on=D(2022, 6, 1),
    expires_on=D(2023, 5, 31),
    notice=Notice(3, "months"),
    price=Decimal("1000.00"),
    currency="EUR",
)


def test_annexes_apply_in_order_of_effective_date_not_order_given():
    later = Change(effective_on=D(2023, 3, 1), price=Decimal("1200.00"))
    earlier = Change(effective_on=D(2023, 1, 1), price=Decimal("1100.00"), notice=Notice(30, "days"))
    chain = [later, earlier]
    assert terms_on(BASE, chain, D(2022, 12, 31)) == BASE
    on_feb = terms_on(BASE, chain, D(2023, 2, 1))
    assert on_feb.price == Decimal("1100.00")
    assert on_feb.notice == Notice(30, "days")
    on_march = terms_on(BASE, chain, D(2023, 3, 1))  # effective on the day itself
    assert on_march.price == Decimal("1200.00")
    assert on_march.notice == Notice(30, "days")  # unchanged by the later annex


def test_annex_makes_indefinite_and_a_later_one_fixed_again():
    chain = [
        Change(effective_on=D(2023, 1, 1), indefinite=True),
        Change(effective_on=D(2024, 1, 1), expires_on=D(2024, 12, 31)),
    ]
    mid = terms_on(BASE, chain, D(2023, 6, 1))
    assert mid.is_indefinite and mid.expires_on is None
    assert term_end(mid, D(2023, 6, 1)) is None
    late = terms_on(BASE, chain, D(2024, 6, 1))
    assert not late.is_indefinite
    assert term_end(late, D(2024, 6, 1)) == D(2024, 12, 31)


def test_same_day_annexes_apply_in_the_order_given():
    chain = [
        Change(effective_on=D(2023, 1, 1), price=Decimal("1")),
        Change(effective_on=D(2023, 1, 1), price=Decimal("2")),
    ]
    assert terms_on(BASE, chain, D(2023, 1, 1)).price == Decimal("2")


# --- term end and cancel-by --------------------------------------------------------------------
def test_fixed_term_without_renewal_ends_on_expiry_even_after_it():
    assert term_end(BASE, D(2023, 1, 1)) == D(2023, 5, 31)
    assert term_end(BASE, D(2025, 1, 1)) == D(2023, 5, 31)
    assert cancel_by(BASE, D(2023, 1, 1)) == D(2023, 2, 28)
    assert earliest_end(BASE, D(2023, 1, 1)).cancel_by is None  # ends anyway


def test_tacit_renewal_counts_whole_renewal_periods_from_the_original_expiry():
    renewing = Terms(expires_on=D(2023, 5, 31), notice=Notice(3, "months"), tacit_renewal=True)
    assert term_end(renewing, D(2023, 5, 31)) == D(2023, 5, 31)  # the expiry day is still the term
    assert term_end(renewing, D(2023, 6, 1)) == D(2024, 5, 31)
    assert term_end(renewing, D(2024, 5, 31)) == D(2024, 5, 31)
    assert term_end(renewing, D(2024, 6, 1)) == D(2025, 5, 31)
    assert cancel_by(renewing, D(2024, 1, 10)) == D(2024, 2, 29)  # 3 months before 31 May 2024
    assert cancel_by(renewing, D(2024, 6, 1)) == D(2025, 2, 28)


def test_renewal_from_a_leap_day_does_not_drift():
    terms = Terms(expires_on=D(2024, 2, 29), tacit_renewal=True, renewal_months=12)
    assert term_end(terms, D(2024, 3, 1)) == D(2025, 2, 28)
    assert term_end(terms, D(2027, 3, 1)) == D(2028, 2, 29)  # computed from the expiry, not stepwise


def test_monthly_renewal_from_the_31st_keeps_month_ends():
    terms = Terms(expires_on=D(2024, 1, 31), tacit_renewal=True, renewal_months=1, notice=Notice(14, "days"))
    assert term_end(terms, D(2024, 2, 10)) == D(2024, 2, 29)
    assert term_end(terms, D(2024, 3, 1)) == D(2024, 3, 31)
    assert term_end(terms, D(2024, 4, 15)) == D(2024, 4, 30)
    assert cancel_by(terms, D(2024, 3, 1)) == D(2024, 3, 17)


def test_when_cancel_by_has_passed_the_earliest_end_is_the_next_term():
    terms = Terms(expires_on=D(2024, 12, 31), tacit_renewal=True, notice=Notice(3, "months"))
    on_time = earliest_end(terms, D(2024, 9, 30))
    assert (on_time.cancel_by, on_time.ends_on) == (D(2024, 9, 30), D(2024, 12, 31))
    late = earliest_end(terms, D(2024, 10, 1))
    assert (late.cancel_by, late.ends_on, late.renews) == (D(2025, 9, 30), D(2025, 12, 31), True)


def test_indefinite_with_notice_has_a_rolling_earliest_end():
    terms = Terms(starts_on=D(2020, 1, 1), indefinite=True, notice=Notice(3, "months"))
    assert cancel_by(terms, D(2024, 11, 30)) is None
    first = earliest_end(terms, D(2024, 11, 30))
    assert (first.cancel_by, first.ends_on) == (D(2024, 11, 30), D(2025, 2, 28))
    assert earliest_end(terms, D(2024, 12, 1)).ends_on == D(2025, 3, 1)
    assert earliest_end(Terms(indefinite=True, notice=Notice(30, "days")), D(2024, 2, 1)).ends_on == D(
        2024, 3, 2
    )
    assert earliest_end(Terms(indefinite=True), D(2024, 2, 1)).ends_on is None


def test_notice_rejects_unknown_units():
    with pytest.raises(ValueError):
        Notice(3, "weeks")


# --- the original's "To end" --------------------------------------------------------------------
def test_to_end_fixed_commitment():
    # Jan..Dec 2024 = 12 months; 1200.00 net → 100.00 a month; from Oct: Oct, Nov, Dec = 3 left.
    r = to_end(Decimal("1200.00"), Decimal("1476.00"), D(2024, 1, 1), D(2024, 12, 31), D(2024, 10, 15))
    assert (r.duration_months, r.months_left) == (12, 3)
    assert (r.average_net, r.average_gross) == (Decimal("100.00"), Decimal("123.00"))
    assert (r.net, r.gross) == (Decimal("300.00"), Decimal("369.00"))


def test_to_end_is_zero_once_the_end_has_passed_and_on_the_end_day():
    r = to_end(Decimal("1200.00"), Decimal("1200.00"), D(2024, 1, 1), D(2024, 12, 31), D(2024, 12, 31))
    assert r.months_left == 0 and r.net == Decimal("0.00")


def test_to_end_indefinite_uses_months_so_far_and_twelve_months_left():
    # Mar 2024 .. Jun 2024 = 4 months; 1000.00 / 4 = 250.00; × 12 = 3000.00.
    r = to_end(Decimal("1000.00"), Decimal("1230.00"), D(2024, 3, 20), None, D(2024, 6, 1))
    assert (r.duration_months, r.months_left) == (4, 12)
    assert (r.net, r.gross) == (Decimal("3000.00"), Decimal("3690.00"))


def test_to_end_rounds_half_up_at_the_end_only():
    # 100.00 over 3 months = 33.333…/month; 2 months left → 66.67 (not 2 × 33.33).
    r = to_end(Decimal("100.00"), Decimal("100.00"), D(2024, 1, 1), D(2024, 3, 31), D(2024, 2, 1))
    assert r.average_net == Decimal("33.33")
    assert r.net == Decimal("66.67")


def test_to_end_without_a_start_is_zero():
    assert to_end(Decimal("5"), Decimal("5"), None, None, D(2024, 1, 1)).net == Decimal("0.00")
