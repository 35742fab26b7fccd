"""Sync (cheap): exact after every kind of change, at a cost that grows with the change."""

from __future__ import annotations

import math

import pytest

from forecaster.sync.engine import run_sync
from forecaster.sync.models import Invoice
from tests.builders import assert_exact

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(system, sb):
    run = run_sync(system, "full", "cli")
    assert run.status == "succeeded"
    system.refresh_from_db()
    sb.requests.clear()
    return system


def cheap(system):
    run = run_sync(system, "incremental", "cli")
    assert run.status == "succeeded", run.error_message
    return run


def test_first_sync_of_a_system_is_a_full_sync(system, sb):
    run = cheap(system)
    assert run.mode == "full" and "First sync" in run.note
    assert_exact(system, sb)


def test_nothing_new_costs_three_requests(synced, sb):
    run = cheap(synced)
    assert (run.inserted, run.updated, run.removed) == (0, 0, 0)
    # Two prove the paid copy exact; one reads the pipeline of unpaid invoices due ahead.
    assert sb.requests.count_status("Paid") == 2 and sb.requests.count_status("Unpaid") == 1
    assert sb.requests.count == 3 and run.requests == sb.requests.count
    assert run.mode == "incremental"


def test_twice_in_a_row_changes_nothing(synced, sb):
    before = list(Invoice.objects.filter(system=synced).order_by("whmcs_id").values())
    cheap(synced)
    cheap(synced)
    assert list(Invoice.objects.filter(system=synced).order_by("whmcs_id").values()) == before


@pytest.mark.parametrize("new", [1, 9, 10, 11, 35])
def test_new_invoices_cost_about_one_request_per_step(synced, sb, new):
    for _ in range(new):
        sb.state.add_invoice(status="Paid", subtotal="12.34", taxrate="23")
    run = cheap(synced)
    assert run.inserted == new and run.removed == 0
    assert sb.requests.count <= math.ceil(new / synced.step) + 3
    assert_exact(synced, sb)


@pytest.mark.parametrize("position", ["oldest", "middle", "newest"])
@pytest.mark.parametrize("change", ["refund", "cancel", "delete", "late-pay", "amount"])
def test_sync_after_a_change_equals_the_paid_set(synced, sb, change, position):
    paid = sorted(sb.paid_invoices())
    target = {"oldest": paid[0], "middle": paid[len(paid) // 2], "newest": paid[-1]}[position]
    if change == "late-pay":
        unpaid = sorted(sb.state.ids("Unpaid"))
        target = {"oldest": unpaid[0], "middle": unpaid[len(unpaid) // 2], "newest": unpaid[-1]}[position]
        sb.state.pay(target)
    elif change == "amount":
        if position != "newest":
            pytest.skip("an old paid invoice's amount change is only visible to a full sync")
        sb.state.set_amounts(target, subtotal="777.77")
    else:
        getattr(sb.state, change)(target)
    run = cheap(synced)
    assert run.mode == "incremental", run.note
    assert run.inserted + run.updated + run.removed == 1 or change == "amount"
    assert_exact(synced, sb)
    n = len(paid)
    # Bisection: about log2(n) one-row requests plus a page and two checks.
    assert sb.requests.count <= math.ceil(math.log2(n)) + 6


@pytest.mark.parametrize("kind", ["refund", "pay"])
def test_several_scattered_changes_still_end_exact(synced, sb, kind):
    """Removals only (or late payments only) shift positions one way: bisection finds each,
    and too many make the sync fall back to a full reconciliation — exact either way."""
    if kind == "refund":
        for invoice_id in sorted(sb.paid_invoices())[3:60:7]:
            sb.state.refund(invoice_id)
    else:
        for invoice_id in sorted(sb.state.ids("Unpaid"))[:5]:
            sb.state.pay(invoice_id)
    for _ in range(3):
        sb.state.add_invoice(status="Paid")
    cheap(synced)
    assert_exact(synced, sb)


def test_balanced_refund_and_late_payment_is_fixed_by_the_full_reconciliation(synced, sb):
    """R10: one refund + one late payment below the newest page keeps counts and the probed
    positions equal, so the cheap sync may not see it; the full sync always does."""
    paid = sorted(sb.paid_invoices())
    unpaid = sorted(i for i in sb.state.ids("Unpaid") if i < paid[-30])
    sb.state.refund(paid[2])
    sb.state.pay(unpaid[0])
    cheap(synced)  # documented: may or may not notice
    run = run_sync(synced, "full", "cli")
    assert run.status == "succeeded"
    assert_exact(synced, sb)


def test_an_old_invoice_whose_amount_changed_is_fixed_by_the_full_reconciliation(synced, sb):
    """WHMCS has no "changed since" filter: amounts edited on an old paid invoice are seen by
    the newest-page comparison only when recent, and always by the full reconciliation."""
    target = sorted(sb.paid_invoices())[0]
    sb.state.set_amounts(target, subtotal="777.77")
    cheap(synced)
    run = run_sync(synced, "full", "cli")
    assert run.updated == 1
    assert_exact(synced, sb)


def test_many_new_invoices_fall_back_to_a_full_sync(synced, sb, monkeypatch):
    from forecaster.sync.engine import cheap as cheap_sync

    monkeypatch.setattr(cheap_sync, "MAX_CHEAP_PAGES", 2)
    for _ in range(40):
        sb.state.add_invoice(status="Paid")
    run = cheap(synced)
    assert run.mode == "full" and "full reconciliation" in run.note
    assert_exact(synced, sb)
