"""The revenue forecast adds WHMCS's pipeline — the unpaid invoices already issued and due in each
month — synced from the sandbox over real HTTP, to the cent, on the page, the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from forecaster.accounts.models import ApiToken
from forecaster.forecasts.history import revenue_forecast
from forecaster.forecasts.outlook import outlook
from forecaster.lib.display import money_text
from forecaster.lib.money import fmt
from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.sync.engine.pipeline import pipeline_start
from tests.builders import make_system

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


@pytest.fixture
def synced():
    today = timezone.localdate()
    with running_sandbox(invoices=400, seed=31, today=today, unpaid_ahead=30) as sb:
        system = make_system(sb, step=25)
        assert run_sync(system, "full", "cli").status == "succeeded"
        yield sb, system


def expected(sb) -> dict[str, Decimal]:
    """The sandbox's own pipeline per due month (one currency here, rate 1)."""
    out: dict[str, Decimal] = {}
    for (month, _currency), net in sb.pipeline_truth(pipeline_start()).items():
        out[month] = out.get(month, ZERO) + net
    return out


def api(path: str) -> dict:
    _row, token = ApiToken.issue("pipeline")
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return json.loads(response.content, parse_float=Decimal)


def test_forecast_months_are_the_model_plus_the_pipeline_to_the_cent(synced):
    sb, _system = synced
    today = timezone.localdate()
    due = expected(sb)
    assert len(due) >= 4 and all(v > 0 for v in due.values())
    model = revenue_forecast(today, 12).systems[0]
    o = outlook(today, 12)
    for i, m in enumerate(o.forecast_months):
        pipeline = due.get(m.key, ZERO)
        cell, point = m.systems[0], model.points[i]
        assert (cell.pipeline, m.revenue.pipeline) == (pipeline, pipeline)
        assert cell.amount == point.point + pipeline and cell.model == point.point
        assert (cell.lower, cell.upper) == (point.lower + pipeline, point.upper + pipeline)
        first, last = cell.parts[0], cell.parts[-1]
        assert (first.code, first.inputs["point"]) == ("model", point.point)
        assert (last.code, last.inputs["amount"]) == ("pipeline", pipeline)
        assert f"pipeline {money_text(pipeline)}" in cell.explain
        assert f"model {money_text(point.point)}" in cell.explain
    assert all(m.revenue.pipeline is None for m in o.months if m.actual)
    # Every month of the pipeline within the horizon is shown; none is lost or counted twice.
    shown = {m.key: m.revenue.pipeline for m in o.forecast_months if m.revenue.pipeline}
    assert shown == {k: v for k, v in due.items() if k <= o.forecast_months[-1].key}


def test_page_api_and_cli_show_the_pipeline_separately(synced, admin_client):
    sb, _system = synced
    due = expected(sb)
    page = admin_client.get("/forecasts/?months=12")
    assert page.status_code == 200
    text = page.content.decode()
    assert "of which pipeline" in text
    for key, amount in due.items():
        if key in {m.key for m in page.context["o"].forecast_months}:
            assert f'<td class="num pipeline">{money_text(amount)}</td>' in text
    body = api("/api/outlook?months=12")
    forecast = [m for m in body["months"] if m["kind"] == "forecast"]
    assert {m["month"]: m["revenue_pipeline"] for m in forecast} == {
        m["month"]: fmt(due.get(m["month"], ZERO)) for m in forecast
    }
    assert all(m["revenue_pipeline"] is None for m in body["months"] if m["kind"] == "actual")
    out = io.StringIO()
    call_command("forecast", "--months", "12", "--format", "csv", stdout=out, stderr=io.StringIO())
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["kind"] == "forecast"]
    assert {r["month"]: r["revenue_pipeline"] for r in rows} == {
        r["month"]: fmt(due.get(r["month"], ZERO)) for r in rows
    }
    table = io.StringIO()
    call_command("forecast", "--months", "12", stdout=table, stderr=io.StringIO())
    assert "Pipeline" in table.getvalue() and "the model's point + the pipeline" in table.getvalue()


def test_a_paid_or_cancelled_invoice_leaves_the_pipeline_with_the_next_sync(synced):
    sb, system = synced
    since = pipeline_start().isoformat()
    ahead = sorted(i for i in sb.state.ids("Unpaid") if sb.state.invoice(i)["duedate"] >= since)
    paid, cancelled = sb.state.invoice(ahead[0]), sb.state.invoice(ahead[1])
    before = api("/api/outlook?months=12")
    sb.state.pay(ahead[0])
    sb.state.cancel(ahead[1])
    assert run_sync(system, "incremental", "cli").status == "succeeded"
    after = api("/api/outlook?months=12")

    def pipeline(body: dict, due: str) -> Decimal:
        return next(Decimal(m["revenue_pipeline"]) for m in body["months"] if m["month"] == due[:7])

    for gone in (paid, cancelled):
        assert gone["duedate"][:7] in {m["month"] for m in after["months"]}
    drop = {}
    for gone in (paid, cancelled):
        drop[gone["duedate"][:7]] = drop.get(gone["duedate"][:7], ZERO) + Decimal(gone["subtotal"])
    for month, amount in drop.items():
        assert pipeline(before, month) - pipeline(after, month) == amount
