"""Full sync against the sandbox over loopback HTTP: exact, resumable, atomic for readers."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecaster.reports.models import DailyRevenue
from forecaster.sandbox import faults
from forecaster.sandbox.testing import running_sandbox
from forecaster.sync import engine
from forecaster.sync.engine import run_sync, staging
from forecaster.sync.models import Invoice, StagedInvoice, SyncRun
from tests.builders import assert_exact, make_system

pytestmark = pytest.mark.django_db


def report(system):
    """What the revenue report is built from (the maintained aggregates)."""
    rows = DailyRevenue.objects.filter(system=system, basis="invoice")
    return rows.aggregate(n=Sum("invoices"), net=Sum("net"), tax=Sum("tax"))


def true_report(system):
    rows = Invoice.objects.filter(system=system, status="Paid")
    return {
        "n": rows.count() or None,
        "net": rows.aggregate(s=Sum("net_base"))["s"],
        "tax": rows.aggregate(s=Sum("tax_base"))["s"],
    }


class Boom(Exception):
    pass


def test_full_sync_equals_the_paid_set_to_the_cent(system, sb):
    run = run_sync(system, "full", "cli")
    assert run.status == "succeeded", run.error_message
    assert_exact(system, sb)
    paid = len(sb.paid_invoices())
    assert run.inserted == paid and run.updated == run.removed == 0
    assert run.steps_total == math.ceil(paid / system.step) == run.step
    # One request per step, one for the pipeline of unpaid invoices due ahead, and once per
    # system two cheap ones to learn what the API role allows.
    assert sb.requests.count_status("Unpaid") == 1
    assert run.requests == sb.requests.count == run.step + 1 + 2
    assert report(system) == true_report(system)
    system.refresh_from_db()
    assert system.last_sync_ok and system.last_full_sync_at and system.remote_total == paid
    assert not StagedInvoice.objects.exists()


def test_second_full_sync_changes_nothing(system, sb):
    run_sync(system, "full", "cli")
    before = list(Invoice.objects.filter(system=system).values_list("whmcs_id", "subtotal", "synced_at"))
    run = run_sync(system, "full", "cli")
    assert (run.inserted, run.updated, run.removed) == (0, 0, 0)
    after = list(Invoice.objects.filter(system=system).values_list("whmcs_id", "subtotal", "synced_at"))
    assert before == after


def test_full_sync_picks_up_every_kind_of_change(system, sb):
    run_sync(system, "full", "cli")
    paid = sorted(sb.paid_invoices())
    sb.state.refund(paid[0])
    sb.state.cancel(paid[5])
    sb.state.delete(paid[-1])
    sb.state.set_amounts(paid[10], subtotal="999.99")
    sb.state.pay(sb.state.ids("Unpaid")[0])
    sb.state.add_invoice(status="Paid", subtotal="5.00")
    run = run_sync(system, "full", "cli")
    assert (run.inserted, run.updated, run.removed) == (2, 1, 3)
    assert_exact(system, sb)
    assert report(system) == true_report(system)


def test_orphans_counted_by_whmcs_do_not_confuse_paging(db):
    with running_sandbox(invoices=90, seed=2, orphans=7) as sb:
        system = make_system(sb, step=10)
        run = run_sync(system, "full", "cli")
        assert run.status == "succeeded"
        assert_exact(system, sb)


@pytest.mark.parametrize("kind", ["status", "html", "truncate", "drop"])
def test_transient_faults_are_survived(system, sb, client_for, kind):
    sb.controls.fail_next(kind, times=2)
    run = run_sync(system, "full", "cli", client=client_for(system))
    assert run.status == "succeeded", run.error_message
    assert_exact(system, sb)


def test_setup_errors_are_not_retried_and_say_what_to_fix(system, sb, client_for):
    sb.policy.allowed_ips = set()
    run = run_sync(system, "full", "cli", client=client_for(system))
    assert run.status == "failed" and run.error_class == "IpNotAllowed"
    assert "127.0.0.1" in run.error_message and run.error_fix
    assert sb.requests.count == 1
    system.refresh_from_db()
    assert system.last_sync_ok is False and "127.0.0.1" in system.last_sync_message


def test_reports_keep_old_figures_until_the_switch_and_after_a_failure(system, sb, client_for):
    run_sync(system, "full", "cli")
    old = report(system)
    for invoice_id in sorted(sb.paid_invoices())[:20]:
        sb.state.refund(invoice_id)
    seen = []

    def watch(run):
        seen.append(report(system))
        if run.step == 3:
            sb.policy.allowed_ips = set()  # the next request fails for good

    run = run_sync(system, "full", "cli", client=client_for(system), on_progress=watch)
    assert run.status == "failed" and 3 <= run.step < run.steps_total  # one page may be prefetched
    assert seen and all(r == old for r in seen)
    assert report(system) == old
    sb.policy.allowed_ips = {"127.0.0.1", "::1"}
    run = run_sync(system, "full", "cli")
    assert run.status == "succeeded" and run.resumed_from_id is not None
    assert report(system) != old
    assert_exact(system, sb)


@pytest.mark.parametrize("point", ["rows-written", "checkpoint-written", "switch-deleted"])
def test_a_crash_inside_a_transaction_leaves_rows_and_checkpoint_together(system, sb, monkeypatch, point):
    run_sync(system, "full", "cli")
    for invoice_id in sorted(sb.paid_invoices())[:3]:
        sb.state.refund(invoice_id)
    calls = {"n": 0}
    crash_at = 1 if point == "switch-deleted" else 2
    old = report(system)

    def crash(where):
        if where == point:
            calls["n"] += 1
            if calls["n"] == crash_at:
                raise Boom()

    monkeypatch.setattr(staging, "_fault", crash)
    run = run_sync(system, "full", "cli", prefetch=False)
    assert run.status == "failed" and run.error_class == "Boom"
    run.refresh_from_db()
    staged = StagedInvoice.objects.filter(stage=run.stage).count() if run.stage else 0
    assert report(system) == old  # nothing switched
    if point == "switch-deleted":
        assert run.next_offset > 0
    else:
        # Exactly one page committed: its rows are staged and the checkpoint says so.
        assert run.step == 1 and staged == system.step
    monkeypatch.setattr(staging, "_fault", lambda where: None)
    again = run_sync(system, "full", "cli")
    assert again.status == "succeeded"
    assert_exact(system, sb)
    assert report(system) == true_report(system)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    size=st.integers(0, 45),
    step=st.integers(1, 12),
    kill=st.integers(1, 12),
    changes=st.integers(0, 3),
    restart=st.booleans(),
)
def test_killed_at_any_request_then_resumed_or_rerun_ends_exact(
    django_db_blocker, size, step, kill, changes, restart
):
    with django_db_blocker.unblock(), running_sandbox(invoices=size, seed=size + step) as sb:
        system = make_system(sb, name=f"k{size}-{step}-{kill}", step=step)
        try:
            sb.controls.fail_next("status", times=0)
            killed = {"n": 0}

            def hook(state, params):
                killed["n"] += 1
                if killed["n"] == kill:
                    sb.policy.permissions = set()  # this and later requests fail

            sb.controls.before_getinvoices = hook
            first = run_sync(system, "full", "cli", prefetch=False)
            sb.controls.before_getinvoices = None
            sb.policy.permissions = {"getinvoices"}
            for invoice_id in sorted(sb.paid_invoices())[:changes]:
                sb.state.refund(invoice_id)
            second = run_sync(system, "full", "cli", resume=not restart)
            assert second.status == "succeeded", second.error_message
            assert_exact(system, sb)
            assert report(system) == true_report(system)
            if first.status == "failed" and not restart and first.step and first.stage is not None:
                # Resuming re-reads at most one stored row per step boundary, never a whole page.
                # (A run killed at the pipeline's request had switched already: nothing to resume.)
                assert second.resumed_from_id == first.pk
        finally:
            system.delete()


@pytest.mark.parametrize("parallel", [1, 2, 8])
def test_drift_while_paging_ends_exact(db, parallel):
    """Rows paid and refunded before every request: the full sync still ends exact, with any
    number of requests in flight (guesses made stale by drift must not exhaust the request
    ceiling meant for a remote that never ends)."""
    with running_sandbox(invoices=400, seed=9) as sb:
        system = make_system(sb, step=15, parallel_requests=parallel)
        sb.controls.before_getinvoices = faults.churn(pay=2, refund=2, seed=4)
        run = run_sync(system, "full", "cli")
        sb.controls.before_getinvoices = None
        assert run.status == "succeeded", run.error_message
        # The churn went on until the last request; one more cheap sync converges, except for a
        # payment and a refund that both came after the full sync had read their pages: they
        # leave the number of paid invoices as it was, and WHMCS tells no modification time,
        # so only reading every page again sees them (with 8 requests in flight, now and then).
        run_sync(system, "incremental", "cli")
        held = set(Invoice.objects.filter(system=system).values_list("whmcs_id", flat=True))
        paid = set(sb.paid_invoices())
        assert len(paid - held) == len(held - paid), (sorted(paid - held), sorted(held - paid))
        if paid != held:
            run_sync(system, "full", "cli")
        assert_exact(system, sb)
        assert report(system) == true_report(system)


def test_remote_shrinking_mid_sync_terminates(db):
    with running_sandbox(invoices=120, seed=4) as sb:
        system = make_system(sb, step=10)

        def wipe(state, params):
            for invoice_id in state.ids("Paid")[:15]:
                state.delete(invoice_id)

        sb.controls.before_getinvoices = wipe
        run = run_sync(system, "full", "cli")
        sb.controls.before_getinvoices = None
        assert run.status in ("succeeded", "failed")
        assert sb.requests.count <= (120 // 10 + 2) * (engine.MAX_DRIFT_RETRIES + 1) + 10
        run_sync(system, "full", "cli")
        assert_exact(system, sb)


def test_one_active_run_per_system(system, sb):
    SyncRun.objects.create(system=system, mode="full", trigger="user", status="running")
    with pytest.raises(engine.AlreadyRunning, match="already running"):
        run_sync(system, "incremental", "cli")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Warsaw"])
def test_a_synced_moment_is_stored_exactly_as_the_orm_stores_it(system, sb, settings, zone):
    # The staged rows go in through plain SQL; their dates and dates paid must be the very
    # values the ORM writes for the same moments (WHMCS's wall time in the server's zone).
    settings.TIME_ZONE = zone
    run = run_sync(system, "full", "cli")
    assert run.status == "succeeded", run.error_message
    table = connection.ops.quote_name(Invoice._meta.db_table)

    def stored(pk):
        with connection.cursor() as cur:
            cur.execute(f"SELECT date, date_paid FROM {table} WHERE id = %s", [pk])
            return cur.fetchone()

    expected = sb.paid_invoices()
    held = Invoice.objects.filter(system=system, date_paid__isnull=False).values_list("pk", "whmcs_id")
    assert held
    for pk, whmcs_id in held:
        synced = stored(pk)
        paid = expected[whmcs_id]["datepaid"].replace(tzinfo=ZoneInfo(zone))
        Invoice.objects.filter(pk=pk).update(date=expected[whmcs_id]["date"], date_paid=paid)
        assert stored(pk) == synced
