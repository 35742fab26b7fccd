"""An FX shift moves revenue by each system's share of that currency in its revenue: a deposit or
mass payment in the currency is not revenue, so it gives the currency no share."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from forecaster.forecasts.history import add_months
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.forecasts.tests.test_revenue_page import with_history
from forecaster.reports import aggregates
from forecaster.sync.models import InvoiceDetail, InvoiceKind
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db


def forecast_revenue(*args: str) -> list[Decimal]:
    out = io.StringIO()
    call_command("forecast", *args, "--format", "json", stdout=out)
    data = json.loads(out.getvalue(), parse_float=Decimal)
    return [Decimal(m["revenue"]) for m in data["months"] if m["kind"] == "forecast"]


def test_a_deposit_in_a_currency_gives_it_no_share_of_revenue():
    today = timezone.localdate()
    sys = make_system(name="Alpha")
    with_history(sys, seasonal_history(30, seed=3), today)
    last_month = add_months(today.replace(day=1), -1).replace(day=10).isoformat()
    inv(sys, id=9001, date=last_month, net="5000.00", currency="EUR", refresh=False)
    InvoiceDetail.objects.create(system=sys, whmcs_id=9001, kind=InvoiceKind.DEPOSIT)
    aggregates.refresh(sys.pk)
    Scenario.objects.create(name="Weak euro", fx_shifts={"EUR": "-10"})
    assert forecast_revenue("--scenario", "Weak euro") == forecast_revenue()
