"""The outlook's actual months are the revenue report's months to the cent: deposits and mass
payments left out, refunds and chargebacks subtracted (WHMCS's books, synced over real HTTP)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from forecaster.forecasts import jobs
from forecaster.forecasts.models import Snapshot
from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.sync.models import PAID, Invoice
from tests.builders import make_system

pytestmark = pytest.mark.django_db

ALL = ["getinvoices", "getinvoice", "gettransactions"]
CASES = {"deposits": 6, "mass_payments": 6, "partial_refunds": 6, "full_refunds": 4, "chargebacks": 4}


def cli(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, "--format", "json", stdout=out)
    return json.loads(out.getvalue(), parse_float=Decimal)


def test_outlook_actual_months_equal_the_revenue_report_with_deposits_mass_payments_and_refunds():
    today = timezone.localdate()
    with running_sandbox(invoices=600, seed=11, today=today, permissions=ALL, **CASES) as sb:
        system = make_system(sb, step=50)
        assert run_sync(system, "full", "cli").status == "succeeded"
    report = {r["period"]: Decimal(r["net"]) for r in cli("report", "revenue", "--by", "month")["rows"]}
    outlook = cli("forecast")
    actual = {m["month"]: Decimal(m["revenue"]) for m in outlook["months"] if m["kind"] == "actual"}
    assert len(actual) == 12
    assert actual == {month: report.get(month, Decimal("0.00")) for month in actual}
    # The cases fall in these months: summing the paid invoices would give other amounts.
    naive = {
        f"{y:04d}-{m:02d}": Decimal(n).quantize(Decimal("0.01"))
        for y, m, n in Invoice.objects.filter(system=system, status=PAID)
        .values_list("date__year", "date__month")
        .annotate(net=Sum("net_base"))
        .order_by()
    }
    assert any(naive.get(month, Decimal("0.00")) != amount for month, amount in actual.items())


def test_the_months_kept_forecast_includes_the_pipeline_as_the_outlook_does():
    today = timezone.localdate()
    with running_sandbox(invoices=400, seed=31, today=today, unpaid_ahead=30) as sb:
        system = make_system(sb, step=25)
        assert run_sync(system, "full", "cli").status == "succeeded"
    jobs.tick(timezone.now())  # the daily scheduler keeps the month's forecast
    outlook = cli("forecast")
    month = next(m for m in outlook["months"] if m["kind"] == "forecast")
    assert Decimal(month["revenue_pipeline"]) > 0
    kept = {s.line: s.point for s in Snapshot.objects.filter(month=today.replace(day=1))}
    assert kept["revenue:total"] == Decimal(month["revenue"])
    assert kept[f"revenue:{system.pk}"] == Decimal(month["revenue"])
