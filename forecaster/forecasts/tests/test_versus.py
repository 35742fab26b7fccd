"""Forecast versus actual: the month's forecast kept at its start, compared once it closed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forecaster.forecasts import snapshots
from forecaster.forecasts.models import Snapshot
from forecaster.forecasts.tests.builders import commitment, cost
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.forecasts.tests.test_revenue_page import with_history
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db


def test_snapshot_is_kept_once_per_month_and_compared_after_the_month_closes(admin_client):
    sys = make_system(name="Alpha")
    with_history(sys, seasonal_history(30, seed=4), date(2026, 11, 2))  # history to October 2026
    commitment("Power", amount="300.00", starts="2026-01-01", indefinite=True)
    assert snapshots.take(date(2026, 11, 2)) == 3
    assert snapshots.take(date(2026, 11, 20)) == 0  # kept once
    kept = Snapshot.objects.get(month=date(2026, 11, 1), line=f"revenue:{sys.pk}")
    assert snapshots.versus(date(2026, 11, 25)) == []  # November has not closed

    inv(sys, id=99_001, date="2026-11-15", net="12345.67")
    cost("2026-11-03", "310.00")
    rows = {r.line: r for r in snapshots.versus(date(2026, 12, 2))}
    revenue = rows[f"revenue:{sys.pk}"]
    assert (revenue.forecast, revenue.actual) == (kept.point, Decimal("12345.67"))
    assert revenue.variance == Decimal("12345.67") - kept.point
    assert (rows["costs:total"].forecast, rows["costs:total"].actual) == (
        Decimal("300.00"),
        Decimal("310.00"),
    )
    assert rows["costs:total"].variance == Decimal("10.00")
    assert rows["costs:total"].variance_pct == Decimal("3.3")
    page = admin_client.get("/forecasts/versus/").content.decode()
    assert "Forecast versus actual" in page
