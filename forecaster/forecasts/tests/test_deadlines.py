"""Deadline rules walked on hand-checked calendars."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forecaster.costs.models import Annex
from forecaster.forecasts.deadlines import deadlines
from forecaster.forecasts.tests.builders import agreement, commitment

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)


def rows(**kw):
    return [(d.title, d.kind, d.term_end, d.cancel_by) for d in deadlines(TODAY, **kw)]


def test_fixed_term_gives_its_expiry_and_nothing_to_cancel():
    agreement("Lease", expires="2027-05-31", renews=False)
    assert rows() == [("Lease", "expires", date(2027, 5, 31), None)]


def test_renewals_within_the_window_each_with_its_calendar_aware_cancel_by():
    # Expiry 31 May 2026, 6-month renewals: terms end 30 Nov 2026 (past), 31 May 2027,
    # 30 Nov 2027 (after the window ending 30 Nov 2027? the window is Dec 2026 – Nov 2027).
    agreement("Transit", expires="2026-05-31", renews=True, renewal_months=6, notice=(3, "months"))
    assert rows() == [
        ("Transit", "renews", date(2027, 5, 31), date(2027, 2, 28)),  # 3 months before 31 May
        ("Transit", "renews", date(2027, 11, 30), date(2027, 8, 30)),
    ]


def test_most_urgent_first_and_a_missed_cancel_by_is_flagged():
    agreement("Late", expires="2026-12-31", renews=True, notice=(3, "months"))  # cancel-by 30 Sep: missed
    agreement("Soon", expires="2027-02-15", renews=True, notice=(30, "days"))  # cancel-by 16 Jan 2027
    agreement("Later", expires="2027-09-30", renews=False)
    found = deadlines(TODAY)
    assert [(d.title, d.action_date) for d in found] == [
        ("Late", date(2026, 9, 30)),
        ("Soon", date(2027, 1, 16)),
        ("Later", date(2027, 9, 30)),
    ]
    assert found[0].missed and found[0].next_possible_end == date(2027, 12, 31)
    assert not found[1].missed and found[1].days_left == 45


def test_an_annex_changes_the_notice_from_its_effective_date():
    a = agreement("Power", expires="2027-06-30", renews=True, notice=(1, "months"))
    Annex.objects.create(agreement=a, effective_on=date(2026, 12, 1), notice_value=90, notice_unit="days")
    assert rows() == [("Power", "renews", date(2027, 6, 30), date(2027, 4, 1))]  # 30 Jun − 90 days


def test_indefinite_agreement_has_a_rolling_end():
    agreement("Support", expires=None, notice=(2, "months"))
    agreement("Handshake", expires=None, notice=None)  # no notice: no end to compute
    found = deadlines(TODAY)
    assert [(d.title, d.kind, d.cancel_by, d.next_possible_end) for d in found] == [
        ("Support", "rolling", TODAY, date(2027, 2, 2))
    ]


def test_cost_at_stake_is_the_forecast_cost_until_the_next_possible_end():
    a = agreement("Transit", expires="2027-03-31", renews=True, notice=(3, "months"))
    commitment("Transit 10G", amount="1000.00", agreement=a)
    commitment("Cross-connect", amount="50.00", agreement=a, frequency="monthly")
    (d,) = deadlines(TODAY)
    # Dec, Jan, Feb, Mar: 4 × 1050.00
    assert d.at_stake == Decimal("4200.00")
