"""``forecaster forecast`` and ``forecaster deadlines`` through call_command."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from forecaster.forecasts.history import add_months
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.tests.builders import agreement, commitment
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.forecasts.tests.test_revenue_page import with_history
from tests.builders import make_system

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def data():
    today = timezone.localdate()
    with_history(make_system(name="Alpha"), seasonal_history(30, seed=2), today)
    end = date.fromordinal(add_months(today.replace(day=1), 3).toordinal() - 1)
    a = agreement("Transit", expires=end.isoformat(), renews=True, notice=(1, "months"))
    commitment("Transit 10G", amount="1000.00", agreement=a)


def test_forecast_prints_table_json_and_csv(data):
    table = run("forecast", "--months", "6")
    assert "Cumulative" in table and "forecast" in table
    body = json.loads(run("forecast", "--months", "6", "--format", "json"), parse_float=Decimal)
    assert len(body["months"]) == 18 and body["months"][12]["costs"] == "1000.00"
    assert run("forecast", "--format", "csv").startswith("month,kind,revenue")


def test_forecast_with_a_scenario_and_clear_errors(data):
    Scenario.objects.create(name="Churn", revenue_growth_pct=Decimal("-20"))
    body = json.loads(run("forecast", "--scenario", "Churn", "--format", "json"))
    assert body["scenario"] == "Churn"
    with pytest.raises(CommandError, match=r"no scenario named 'Nope'.*Churn"):
        run("forecast", "--scenario", "Nope")
    with pytest.raises(CommandError, match="from 1 to 36"):
        run("forecast", "--months", "40")


def test_deadlines_prints_table_json_csv_and_ics(data):
    assert "Transit" in run("deadlines")
    body = json.loads(run("deadlines", "--format", "json"))
    assert body["deadlines"][0]["kind"] == "renews"
    assert "cost_at_stake" in run("deadlines", "--format", "csv").splitlines()[0]
    assert "BEGIN:VCALENDAR" in run("deadlines", "--format", "ics")


def test_deadlines_on_an_empty_database_says_so(db):
    assert "No agreement ends" in run("deadlines")
    assert "Month" in run("forecast")
