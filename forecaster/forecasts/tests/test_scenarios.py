"""Scenarios: saved by name through the form, applied to the outlook, compared, exported."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from forecaster.costs.models import CostCurrencyRate
from forecaster.forecasts.history import add_months
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.scenarios import parse_fx, scenario_outlook
from forecaster.forecasts.tests.builders import agreement, commitment
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.forecasts.tests.test_revenue_page import with_history
from tests.builders import make_system
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    today = timezone.localdate()
    with_history(make_system(name="Alpha"), seasonal_history(30, seed=5), today)
    CostCurrencyRate.objects.create(currency="EUR", rate=Decimal("1.100000"))
    # The term ends with the 4th month from now; one month's notice still reaches it.
    end = date.fromordinal(add_months(today.replace(day=1), 4).toordinal() - 1)
    ag = agreement("Transit", starts="2020-01-01", expires=end.isoformat(), renews=True, notice=(1, "months"))
    return commitment("Transit 10G", amount="1000.00", currency="EUR", agreement=ag)


def test_fx_text_is_read_or_refused_with_the_part_that_is_wrong():
    assert parse_fx("EUR +5, gbp -3.5%") == {"EUR": "5", "GBP": "-3.5"}
    with pytest.raises(ValueError, match="EURO"):
        parse_fx("EURO 5")


def test_scenario_is_saved_by_name_and_changes_the_outlook(admin_client, data):
    response = csrf_post(
        admin_client,
        "/forecasts/scenarios/new/",
        {
            "name": "Churn and a weak euro",
            "description": "",
            "revenue_growth_pct": "-12",
            "cost_inflation_pct": "0",
            "fx_text": "EUR -10",
            "cancel": [str(data.pk)],
        },
    )
    assert response.status_code == 302
    s = Scenario.objects.get(name="Churn and a weak euro")
    assert s.fx_shifts == {"EUR": "-10"}
    csrf_post(
        admin_client,
        f"/forecasts/scenarios/{s.pk}/add/",
        {
            "add-name": "New PoP",
            "add-amount": "200.00",
            "add-currency": "usd",
            "add-starts_on": timezone.localdate().isoformat(),
        },
    )
    today = timezone.localdate()
    plain = scenario_outlook(today, 12, None).forecast_months
    what_if = scenario_outlook(today, 12, s).forecast_months
    # Transit: 1000 EUR × 1.1 = 1100.00 plain; × 0.9 shift = 990.00, + 200.00 New PoP.
    assert plain[0].costs.amount == Decimal("1100.00")
    assert what_if[0].costs.amount == Decimal("1190.00")
    # Cancelled at the next cancel-by date: the term ends with the 4th month; nothing after it.
    assert what_if[3].costs.amount == Decimal("1190.00")
    assert what_if[4].costs.amount == Decimal("200.00")
    assert plain[4].costs.amount == Decimal("1100.00")  # plain: it renews
    # Revenue: −12 % a year ramps in; the current month is unchanged.
    assert what_if[0].revenue.amount == plain[0].revenue.amount
    assert what_if[6].revenue.amount < plain[6].revenue.amount


def test_bad_scenario_input_keeps_what_was_typed_and_says_why(admin_client, data):
    response = csrf_post(
        admin_client,
        "/forecasts/scenarios/new/",
        {"name": "X", "revenue_growth_pct": "abc", "cost_inflation_pct": "0", "fx_text": "EUR five"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Cannot read" in page and "EUR five" in page
    assert not Scenario.objects.exists()


def test_viewers_compare_but_cannot_edit(viewer_client, data):
    s = Scenario.objects.create(name="Growth", revenue_growth_pct=Decimal("24"))
    assert csrf_post(viewer_client, "/forecasts/scenarios/new/", {"name": "Y"}).status_code == 403
    page = viewer_client.get(f"/forecasts/scenarios/compare/?id={s.pk}").content.decode()
    assert "Plain forecast" in page and "Growth" in page
    rows = list(
        csv.DictReader(
            io.StringIO(viewer_client.get(f"/forecasts/scenarios/compare.csv?id={s.pk}").content.decode())
        )
    )
    assert {r["scenario"] for r in rows} == {"plain", "Growth"} and len(rows) == 24
    body = viewer_client.get(f"/forecasts/scenarios/compare.json?id={s.pk}").json()
    assert body["scenarios"] == ["plain", "Growth"]
