"""The revenue model's fit is kept until its history changes, and made in the background after a
sync, so outlook and forecast pages do not wait for a fit."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings
from django.utils import timezone

from forecaster.forecasts import revenue as model
from forecaster.forecasts.history import monthly_history, revenue_forecast
from forecaster.forecasts.models import FittedRevenue
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.forecasts.tests.test_revenue_page import with_history
from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from tests.builders import make_system

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def no_fit(*args, **kwargs):
    raise AssertionError("the model was fitted again")


def test_a_fit_made_earlier_in_the_month_is_reused_while_the_history_is_unchanged(admin_client, monkeypatch):
    sys = make_system(name="Alpha")
    first_day = date(2026, 11, 3)
    with_history(sys, seasonal_history(30, seed=4), first_day)
    points = revenue_forecast(first_day, 3).systems[0].points
    monkeypatch.setattr(model, "forecast", no_fit)
    # Later days of the same month: the same history, so the kept fit answers.
    assert revenue_forecast(date(2026, 11, 20), 3).systems[0].points == points
    # A new month closes: the history grows, so the model is fitted again.
    with pytest.raises(AssertionError, match="fitted again"):
        revenue_forecast(date(2026, 12, 1), 3)


@override_settings(TASKS=IMMEDIATE)
def test_a_sync_that_changes_invoices_refits_in_the_background(
    admin_client, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    with running_sandbox(invoices=300, seed=5, today=today) as sb:
        system = make_system(sb, step=25)
        with django_capture_on_commit_callbacks(execute=True):
            assert run_sync(system, "full", "cli").status == "succeeded"
    kept = FittedRevenue.objects.get(system=system)
    _months, history = monthly_history(system.pk, today)
    assert len(history) >= 3 and kept.payload["points"]
    # The page reads that fit: no model is fitted on the page view.
    import forecaster.forecasts.revenue as revenue_model

    original = revenue_model.forecast
    revenue_model.forecast = no_fit
    try:
        assert admin_client.get("/forecasts/").status_code == 200
    finally:
        revenue_model.forecast = original
    assert FittedRevenue.objects.get(system=system).pk == kept.pk
