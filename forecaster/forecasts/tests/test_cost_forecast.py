"""The cost forecast per commitment, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forecaster.costs.models import CostCurrencyRate
from forecaster.forecasts.costs import Adjustments, actual_costs, cost_forecast, spread
from forecaster.forecasts.history import add_months
from forecaster.forecasts.tests.builders import agreement, commitment, cost

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)


def months(n: int, start: date = date(2026, 12, 1)) -> list[date]:
    return [add_months(start, i) for i in range(n)]


def amounts(line) -> list[str]:
    return [str(a) for a in line.amounts]


def by_name(cf):
    return {line.name: line for line in cf.lines}


def test_spread_adds_up_to_the_cent():
    assert spread(Decimal("1000.00"), 3) == [Decimal("333.34"), Decimal("333.33"), Decimal("333.33")]
    assert sum(spread(Decimal("0.05"), 7)) == Decimal("0.05")


def test_monthly_schedule_with_a_price_step_stops_at_the_agreement_expiry():
    a = agreement(expires="2027-03-31", renews=False)
    commitment("Transit", amount="1000.00", agreement=a, steps={"2027-02-01": "1100.50"})
    line = by_name(cost_forecast(TODAY, months(6)))["Transit"]
    assert line.method == "schedule" and not line.estimate
    # Due on the 1st from the agreement's start: Dec, Jan at 1000; Feb, Mar at 1100.50; then ended.
    assert amounts(line) == ["1000.00", "1000.00", "1100.50", "1100.50", "0.00", "0.00"]


def test_tacitly_renewing_agreement_keeps_costing_after_its_expiry():
    a = agreement(expires="2027-03-31", renews=True, renewal_months=12)
    commitment("Power", amount="250.00", agreement=a)
    assert amounts(by_name(cost_forecast(TODAY, months(6)))["Power"]) == ["250.00"] * 6


def test_cancelling_at_the_next_cancel_by_date_ends_the_costs_with_the_term():
    a = agreement(expires="2027-03-31", notice=(3, "months"), renews=True)
    c = commitment("Power", amount="250.00", agreement=a)
    # Cancel-by 31 Dec 2026 is still ahead: the agreement ends on 31 Mar 2027.
    cf = cost_forecast(TODAY, months(6), Adjustments(cancel={c.pk}))
    assert amounts(by_name(cf)["Power"]) == ["250.00"] * 4 + ["0.00"] * 2


def test_quarterly_schedule_in_a_foreign_currency_is_converted_half_up_per_payment():
    CostCurrencyRate.objects.create(currency="EUR", rate=Decimal("1.083333"))
    commitment(
        "Licences",
        amount="333.33",
        currency="EUR",
        frequency="quarterly",
        starts="2026-10-15",
        indefinite=True,
    )
    line = by_name(cost_forecast(TODAY, months(7)))["Licences"]
    # Due 15 Jan and 15 Apr: 333.33 × 1.083333 = 361.107... → 361.11
    assert amounts(line) == ["0.00", "361.11", "0.00", "0.00", "361.11", "0.00", "0.00"]


def test_without_a_schedule_to_end_is_spread_evenly_and_marked_as_an_estimate():
    c = commitment("Support", starts="2026-01-01", ends="2027-03-31")
    for m in range(1, 12):  # 11 invoices of 100.00 Jan–Nov 2026
        cost(f"2026-{m:02d}-10", "100.00", "23.00", commitment=c)
    line = by_name(cost_forecast(TODAY, months(6)))["Support"]
    assert line.method == "to_end" and line.estimate
    # duration Jan 2026–Mar 2027 = 15 months; average 1100 / 15 = 73.333…; months left Dec–Mar = 4;
    # To end = 73.333… × 4 = 293.33, spread over 4 months: 73.34 + 73.33 × 3.
    assert amounts(line) == ["73.34", "73.33", "73.33", "73.33", "0.00", "0.00"]
    assert sum(line.amounts) == Decimal("293.33")


def test_indefinite_without_schedule_goes_on_at_its_average():
    c = commitment("Cleaning", starts="2026-09-01", indefinite=True)
    cost("2026-09-05", "90.00", commitment=c)
    cost("2026-10-05", "90.00", commitment=c)
    cost("2026-11-05", "120.00", commitment=c)
    line = by_name(cost_forecast(TODAY, months(14)))["Cleaning"]
    # Sep–Dec 2026 = 4 months so far; 300 / 4 = 75.00 every month of the horizon.
    assert amounts(line) == ["75.00"] * 14


def test_a_known_invoice_replaces_the_schedule_in_its_due_month_and_others_count_by_due_date():
    c = commitment("Transit", amount="1000.00", starts="2026-01-01", indefinite=True)
    cost("2026-12-01", "1012.40", commitment=c, due="2027-01-14")  # the January payment, known
    cost("2026-12-01", "55.55", due="2027-02-10")  # no commitment
    cost("2026-11-20", "77.00", due="2026-12-20")  # November actual: not counted again
    cf = cost_forecast(TODAY, months(3))
    lines = by_name(cf)
    assert amounts(lines["Transit"]) == ["1000.00", "1012.40", "1000.00"]
    assert amounts(lines["Cost invoices without a commitment"]) == ["0.00", "0.00", "55.55"]
    assert cf.totals == [Decimal("1000.00"), Decimal("1012.40"), Decimal("1055.55")]


def test_scenario_inflation_fx_shift_and_an_added_commitment():
    CostCurrencyRate.objects.create(currency="EUR", rate=Decimal("1.100000"))
    commitment("Rack", amount="1200.00", currency="EUR", starts="2026-01-01", indefinite=True)
    adj = Adjustments(
        inflation_pct=Decimal("12"),
        fx_shift_pct={"EUR": Decimal("10")},
        added=[{"name": "New PoP", "amount": "500.00", "currency": "USD", "from": "2027-01-01"}],
    )
    lines = by_name(cost_forecast(TODAY, months(3), adj))
    # 1200 × 1.1 × 1.1 = 1452.00; inflation 12 %/year ramps 0 %, 1 %, 2 %.
    assert amounts(lines["Rack"]) == ["1452.00", "1466.52", "1481.04"]
    assert amounts(lines["New PoP"]) == ["0.00", "505.00", "510.00"]


def test_actual_costs_are_grouped_by_document_month_in_the_base_currency():
    cost("2026-10-31", "10.01")
    cost("2026-10-01", "0.99", "0.23")
    cost("2026-11-15", "5.00")
    assert actual_costs(date(2026, 1, 1), date(2026, 11, 30)) == {
        "2026-10": Decimal("11.00"),
        "2026-11": Decimal("5.00"),
    }
