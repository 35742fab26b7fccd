"""The revenue forecast page over synced history (invoices stored the way the sync stores them)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from forecaster.forecasts.history import add_months, monthly_history, revenue_forecast
from forecaster.forecasts.models import FittedRevenue
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.reports import aggregates
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db


def with_history(sys, amounts: list[Decimal], today: date, first_id: int = 1) -> None:
    """One paid invoice per month, the last one in the month before ``today``'s."""
    start = add_months(today.replace(day=1), -len(amounts))
    for i, amount in enumerate(amounts):
        day = add_months(start, i).replace(day=15)
        inv(sys, id=first_id + i, date=day.isoformat(), net=str(amount), refresh=False)
    aggregates.refresh(sys.pk)


def test_history_is_closed_months_with_gaps_as_zero():
    sys = make_system(name="Alpha")
    inv(sys, id=1, date="2026-01-10", net="100.00", refresh=False)
    inv(sys, id=2, date="2026-03-10", net="50.00", tax="11.50", refresh=False)
    inv(sys, id=3, date="2026-04-02", net="70.00", refresh=False)  # current month: not history
    aggregates.refresh(sys.pk)
    months, amounts = monthly_history(sys.pk, date(2026, 4, 20))
    assert months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert amounts == [Decimal("100.00"), Decimal("0.00"), Decimal("50.00")]  # net, not gross


def test_page_shows_forecast_interval_and_backtest_per_system_and_total(admin_client):
    today = timezone.localdate()
    a, b = make_system(name="Alpha"), make_system(name="Beta")
    with_history(a, seasonal_history(48, seed=7, start_month=today.month - 1), today)
    with_history(b, seasonal_history(30, seed=3, start_month=(today.month + 5) % 12), today, first_id=1000)

    response = admin_client.get("/forecasts/revenue/?months=6")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alpha" in page and "Beta" in page and "All systems" in page
    assert "Holt-Winters" in page
    assert "Same month last year" in page and "Average of the last 3 months" in page
    assert "smaller than the better naive baseline" in page

    rf = revenue_forecast(today, 6)
    alpha, beta = rf.systems
    # The total adds up to the cent, month by month.
    for i in range(6):
        assert rf.total.points[i].point == alpha.points[i].point + beta.points[i].point
    # The chart data leaves as two-decimal strings, forecast months after the actual ones.
    data = json.loads(json.dumps(response.context["lines"][0]["chart"]))
    assert data["forecast"][data["today"]] == str(alpha.points[0].point)
    assert data["actual"][data["today"] - 1] == str(alpha.history[-1])


def test_fit_is_kept_for_the_day_and_redone_when_history_changes(admin_client):
    today = timezone.localdate()
    sys = make_system(name="Alpha")
    with_history(sys, seasonal_history(30, seed=2), today)
    first = revenue_forecast(today, 3).systems[0].points
    kept = FittedRevenue.objects.get(system=sys, made_on=today)
    # A second look reads the kept fit (same fingerprint, same numbers).
    assert revenue_forecast(today, 3).systems[0].points == first
    assert FittedRevenue.objects.get(pk=kept.pk).fingerprint == kept.fingerprint
    # A sync that changes a closed month changes the history: the fit is redone.
    inv(sys, id=9999, date=add_months(today.replace(day=1), -1).replace(day=20).isoformat(), net="5000.00")
    again = revenue_forecast(today, 3).systems[0].points
    assert FittedRevenue.objects.get(system=sys, made_on=today).fingerprint != kept.fingerprint
    assert again != first


def test_short_history_and_no_systems_say_what_to_do(admin_client):
    page = admin_client.get("/forecasts/revenue/").content.decode()
    assert "No accounting systems yet" in page
    today = timezone.localdate()
    sys = make_system(name="Alpha")
    with_history(sys, [Decimal("10.00"), Decimal("20.00")], today)
    page = admin_client.get("/forecasts/revenue/").content.decode()
    assert "the model needs at least 3" in page


def test_bad_horizon_is_a_clear_error(viewer_client):
    response = viewer_client.get("/forecasts/revenue/?months=99")
    assert response.status_code == 400
    assert "from 1 to 36" in response.content.decode()


def test_page_needs_login(anon_client):
    response = anon_client.get("/forecasts/revenue/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
