"""The pipeline: WHMCS's Unpaid invoices due from this month on, replaced as a whole by each sync,
to the cent against the sandbox over real HTTP."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from forecaster.currency.models import SystemCurrencyRate
from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.sync.engine.pipeline import MAX_AGE, pipeline_start
from forecaster.sync.models import PipelineMark, QuarantinedRecord, UnpaidInvoice
from forecaster.sync.tests.test_privacy import Corrupting
from forecaster.systems.whmcs.client import WhmcsClient
from tests.builders import make_system

pytestmark = pytest.mark.django_db


def held(system) -> dict[tuple[str, str], Decimal]:
    """The stored pipeline per (due month, currency), net."""
    rows = (
        UnpaidInvoice.objects.filter(system=system)
        .values_list("due_date", "currency")
        .annotate(net=Sum("subtotal"))
        .order_by()
    )
    out: dict[tuple[str, str], Decimal] = {}
    for due, cur, net in rows:
        key = (due.isoformat()[:7], cur)
        out[key] = out.get(key, Decimal("0.00")) + net
    return out


@pytest.fixture
def ahead():
    with running_sandbox(invoices=200, seed=21, today=timezone.localdate(), unpaid_ahead=25) as sb:
        yield sb


def sync(system, mode="incremental"):
    run = run_sync(system, mode, "cli")
    assert run.status == "succeeded", run.error_message
    return run


def test_full_sync_keeps_the_unpaid_invoices_due_ahead_to_the_cent(ahead):
    system = make_system(ahead, step=10)
    sync(system, "full")
    truth = ahead.pipeline_truth(pipeline_start())
    assert sum(truth.values()) > 0 and len({m for m, _c in truth}) >= 4  # several months ahead
    assert held(system) == truth
    # Converted by the money rule (rate 1 in the base currency here): net_base is the subtotal.
    assert all(u.net_base == u.subtotal and u.rate == 1 for u in UnpaidInvoice.objects.all())


def test_the_pipeline_is_replaced_as_a_whole_by_every_sync(ahead):
    system = make_system(ahead, step=10)
    sync(system, "full")
    since = pipeline_start()
    due_ahead = [
        i for i in ahead.state.ids("Unpaid") if ahead.state.invoice(i)["duedate"] >= since.isoformat()
    ]
    ahead.state.pay(due_ahead[0])
    ahead.state.cancel(due_ahead[1])
    ahead.state.delete(due_ahead[2])
    ahead.state.add_invoice(subtotal="123.45", due_date=since.replace(year=since.year + 1))
    ahead.requests.clear()
    run = sync(system)
    assert held(system) == ahead.pipeline_truth(since)
    assert UnpaidInvoice.objects.filter(system=system).count() == len(due_ahead) - 3 + 1
    # The paid one is now revenue. The pipeline reads Step rows a request, due date first, until
    # a row is due before this month.
    assert run.inserted == 1
    assert ahead.requests.count_status("Unpaid") == math.ceil((len(due_ahead) - 3 + 1 + 1) / system.step)


def test_invoices_due_on_one_day_across_page_boundaries_are_all_read(db):
    today = timezone.localdate()
    due = pipeline_start(today).replace(year=today.year + 1)
    with running_sandbox(invoices=60, seed=4, today=today) as sb:
        for k in range(23):  # more than two pages of Step 10, all due on the same day
            sb.state.add_invoice(subtotal=f"{10 + k}.01", due_date=due)
        system = make_system(sb, step=10)
        sync(system, "full")
        assert held(system) == sb.pipeline_truth(pipeline_start())
        assert UnpaidInvoice.objects.filter(system=system, due_date=due).count() == 23


def test_unpaid_invoices_due_before_this_month_are_not_kept(ahead):
    system = make_system(ahead, step=10)
    sync(system, "full")
    since = pipeline_start()
    overdue = [i for i in ahead.state.ids("Unpaid") if ahead.state.invoice(i)["duedate"] < since.isoformat()]
    assert overdue  # the sandbox has old unpaid invoices
    assert not UnpaidInvoice.objects.filter(system=system, due_date__lt=since).exists()


def test_an_unreadable_unpaid_invoice_is_quarantined_and_the_rest_kept(ahead):
    system = make_system(ahead, step=10)
    since = pipeline_start()
    due_ahead = sorted(
        i for i in ahead.state.ids("Unpaid") if ahead.state.invoice(i)["duedate"] >= since.isoformat()
    )
    spoilt = due_ahead[0]
    amount = Decimal(ahead.state.invoice(spoilt)["subtotal"])
    with WhmcsClient.for_system(system) as inner:
        run = run_sync(system, "full", "cli", client=Corrupting(inner, {spoilt: {"duedate": "2026-13-45"}}))
    assert run.status == "succeeded" and run.quarantined == 1
    assert QuarantinedRecord.objects.get(run=run).whmcs_id == spoilt
    assert sum(held(system).values()) == sum(ahead.pipeline_truth(since).values()) - amount


def due_ahead_ids(sandbox) -> list[int]:
    """The sandbox's unpaid invoices due from this month on, due last first."""
    since = pipeline_start().isoformat()
    rows = [sandbox.state.invoice(i) for i in sandbox.state.ids("Unpaid")]
    return [r["id"] for r in sorted(rows, key=lambda r: r["duedate"], reverse=True) if r["duedate"] >= since]


def whole_read(system) -> int:
    """Requests a whole read of the pipeline takes (Step rows a request, one more at the end)."""
    return math.ceil((len(UnpaidInvoice.objects.filter(system=system)) + 1) / system.step)


def test_a_sync_with_nothing_new_keeps_the_pipeline_with_one_request(ahead):
    system = make_system(ahead, step=10)
    sync(system, "full")
    assert whole_read(system) >= 3
    ahead.requests.clear()
    run = sync(system)
    assert ahead.requests.count_status("Unpaid") == 1
    assert held(system) == ahead.pipeline_truth(pipeline_start())
    assert run.requests - ahead.requests.count_status("Unpaid") <= 2  # the paid invoices' check


def test_a_full_sync_always_reads_the_pipeline_whole(ahead):
    system = make_system(ahead, step=10)
    sync(system, "full")
    ahead.requests.clear()
    sync(system, "full")
    assert ahead.requests.count_status("Unpaid") == whole_read(system)


def _issue(sb, system):
    sb.state.add_invoice(subtotal="77.70", due_date=pipeline_start().replace(year=pipeline_start().year + 2))


def _cancel_the_deepest(sb, system):
    sb.state.cancel(due_ahead_ids(sb)[-1])


def _pay_one(sb, system):
    sb.state.pay(due_ahead_ids(sb)[-1])


def _edit_the_deepest_after_the_age(sb, system):
    sb.state.set_amounts(due_ahead_ids(sb)[-1], subtotal="1234.56")
    PipelineMark.objects.filter(system=system).update(read_at=F("read_at") - MAX_AGE)


def _change_the_rate(sb, system):
    currency = UnpaidInvoice.objects.filter(system=system).values_list("currency", flat=True).first()
    SystemCurrencyRate.objects.create(system=system, currency=currency, rate=Decimal("2.000000"))


@pytest.mark.parametrize(
    "change", [_issue, _cancel_the_deepest, _pay_one, _edit_the_deepest_after_the_age, _change_the_rate]
)
def test_after_a_change_the_next_sync_reads_the_pipeline_whole(ahead, change):
    system = make_system(ahead, step=10)
    sync(system, "full")
    change(ahead, system)
    ahead.requests.clear()
    sync(system)
    assert ahead.requests.count_status("Unpaid") == whole_read(system)
    assert held(system) == ahead.pipeline_truth(pipeline_start())
    rates = set(UnpaidInvoice.objects.filter(system=system).values_list("rate", flat=True))
    assert rates == ({Decimal("2.000000")} if change is _change_the_rate else {Decimal(1)})


def test_an_edit_deep_in_the_pipeline_waits_for_the_next_whole_read(ahead):
    """The limit of the one-request check: a change that moves neither the count nor the first
    page is read within MAX_AGE (or by any full sync), not at once."""
    system = make_system(ahead, step=10)
    sync(system, "full")
    ahead.state.set_amounts(due_ahead_ids(ahead)[-1], subtotal="1234.56")
    sync(system)
    assert held(system) != ahead.pipeline_truth(pipeline_start())
    sync(system, "full")
    assert held(system) == ahead.pipeline_truth(pipeline_start())
