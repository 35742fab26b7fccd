"""One sync per system, the daily schedule, the CLI, the web buttons and the worker."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from forecaster.sync import engine, schedule
from forecaster.sync.models import SyncRun
from tests.builders import assert_exact, make_system
from tests.clients import csrf_client, csrf_post

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# --- R11: one active sync per system ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_syncs_of_one_system_cannot_both_run(sb):
    system = make_system(sb, step=10)
    # The winner's first request waits until the other start has been answered, so the two
    # really overlap however slowly the machine schedules the threads.
    other_answered = threading.Event()
    sb.controls.before_getinvoices = lambda state, params: other_answered.wait(timeout=30)
    barrier = threading.Barrier(2)
    outcomes = []

    def go():
        from django.db import connection

        barrier.wait()
        lost = False
        try:
            run = engine.run_sync(system, "full", "cli")
            outcomes.append(run.status)
        except engine.AlreadyRunning as exc:
            outcomes.append(str(exc))
            lost = True
        except Exception as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
            lost = True
        finally:
            # Close first: the test database is SQLite's shared in-memory cache, where an open
            # connection can hold a table lock that the busy timeout does not cover.
            connection.close()
            if lost:
                other_answered.set()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(["succeeded", "A sync of Main WHMCS is already running."])
    assert SyncRun.objects.count() == 1
    assert_exact(system, sb)


@pytest.mark.django_db
def test_a_run_left_running_by_a_killed_process_does_not_block_forever(system, sb):
    stale = SyncRun.objects.create(
        system=system,
        mode="full",
        trigger="cli",
        status="running",
        heartbeat_at=datetime.now(UTC) - timedelta(hours=1),
    )
    run = engine.run_sync(system, "full", "cli")
    assert run.status == "succeeded"
    stale.refresh_from_db()
    assert stale.status == "interrupted"


@pytest.mark.django_db
def test_a_run_whose_process_is_gone_does_not_block_even_with_a_fresh_heartbeat(system, sb):
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = SyncRun.objects.create(
        system=system,
        mode="full",
        trigger="cli",
        status="running",
        heartbeat_at=datetime.now(UTC),
        host=socket.gethostname(),
        pid=dead.pid,
    )
    run = engine.run_sync(system, "full", "cli")
    assert run.status == "succeeded"
    orphan.refresh_from_db()
    assert orphan.status == "interrupted"


@pytest.mark.django_db
def test_a_run_of_a_live_process_still_blocks(system, sb):
    import os
    import socket

    SyncRun.objects.create(
        system=system,
        mode="full",
        trigger="cli",
        status="running",
        heartbeat_at=datetime.now(UTC),
        host=socket.gethostname(),
        pid=os.getppid(),
    )
    with pytest.raises(engine.AlreadyRunning):
        engine.run_sync(system, "full", "cli")


@contextmanager
def stalled_full_sync(sb, system, *, at: int):
    """A full sync of ``system`` in a thread whose request for rows from ``at`` on waits until
    the block ends; yields the list its finished run lands in."""
    waiting, release = threading.Event(), threading.Event()

    def stall(state, params):
        if int(params.get("limitstart", 0)) >= at:
            waiting.set()
            release.wait(timeout=120)

    sb.controls.before_getinvoices = stall
    outcome: list[SyncRun] = []

    def go():
        from django.db import connection

        try:
            outcome.append(engine.run_sync(system, "full", "user", prefetch=False))
        finally:
            connection.close()

    thread = threading.Thread(target=go)
    thread.start()
    try:
        assert waiting.wait(timeout=120)
        yield outcome
    finally:
        release.set()
        thread.join(timeout=300)
        sb.controls.before_getinvoices = None


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_run_live_while_a_request_waits(sb, monkeypatch):
    """While one request waits on WHMCS far longer than a run may stay silent, the heartbeat
    thread keeps the run live: a second start is refused instead of taking the first for dead,
    and the first run then finishes."""
    from forecaster.sync.engine import claims, heartbeat

    monkeypatch.setattr(heartbeat, "HEARTBEAT_EVERY", 0.05)
    system = make_system(sb, step=10)
    with stalled_full_sync(sb, system, at=20) as outcome:  # the third page hangs meanwhile
        silent = datetime.now(UTC) - claims.STALE_AFTER - timedelta(minutes=1)
        SyncRun.objects.filter(status="running").update(heartbeat_at=silent)  # "silent" for too long
        for _ in range(1200):  # until the thread beats (well under a second; bounded, not timed)
            if SyncRun.objects.filter(status="running", heartbeat_at__gt=silent).exists():
                break
            threading.Event().wait(0.05)
        with pytest.raises(engine.AlreadyRunning):
            engine.run_sync(system, "full", "cli")
    assert [run.status for run in outcome] == ["succeeded"]
    assert list(SyncRun.objects.values_list("status", flat=True)) == ["succeeded"]
    assert_exact(system, sb)


@pytest.mark.django_db
def test_a_stop_request_interrupts_between_steps_and_the_next_run_resumes(system, sb):
    stop = threading.Event()

    def progress(run):
        if run.step == 2:
            stop.set()

    first = engine.run_sync(system, "full", "cli", stop=stop, on_progress=progress, prefetch=False)
    assert first.status == "interrupted" and first.step == 2
    sb.requests.clear()
    second = engine.run_sync(system, "full", "cli")
    assert second.resumed_from_id == first.pk and second.status == "succeeded"
    # The remaining steps, then a cheap check of the part staged before the interruption
    # (it may have changed in WHMCS meanwhile): at most 3 requests when nothing did; and, once
    # per system, two cheap ones to learn what the API role allows.
    remaining = first.steps_total - 2
    assert remaining < sb.requests.count <= remaining + 3 + 2
    assert_exact(system, sb)


@pytest.mark.django_db
def test_a_full_sync_that_failed_on_its_staged_rows_starts_over_instead_of_resuming(system, sb, monkeypatch):
    """Item 2: a stage holding a row the switch cannot take (here a row staged by an older
    version, not in WHMCS) fails the resumed run; the next Full sync does not resume that stage
    again (and fail again, forever) but starts over, and its note says so."""
    from forecaster.sync.engine import staging
    from forecaster.sync.models import StagedInvoice

    stop = threading.Event()
    first = engine.run_sync(
        system, "full", "cli", stop=stop, on_progress=lambda run: run.step == 2 and stop.set(), prefetch=False
    )
    assert first.status == "interrupted"
    bad = StagedInvoice.objects.filter(stage=first.stage).first()
    bad.pk, bad.whmcs_id = None, 10**9
    bad.save()

    def switch_fails_on_the_bad_row(point):
        if point == "switch-deleted" and StagedInvoice.objects.filter(whmcs_id=10**9).exists():
            raise OverflowError("date value out of range")

    monkeypatch.setattr(staging, "_fault", switch_fails_on_the_bad_row)
    with pytest.raises(CommandError):
        call_command("sync", str(system.pk), "--full", stdout=StringIO())  # resumes: meets the row
    failed = SyncRun.objects.latest("id")
    assert failed.status == "failed" and failed.resumed_from_id == first.pk
    out = StringIO()
    call_command("sync", str(system.pk), "--full", stdout=out)  # the Full sync button, no --restart
    run = SyncRun.objects.latest("id")
    assert run.status == "succeeded" and run.resumed_from_id is None, out.getvalue()
    assert "Started over" in run.note and "OverflowError" in run.note
    assert_exact(system, sb)


# --- R12: the daily schedule ------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(AUTO_SYNC_TIME="03:30", TIME_ZONE="UTC", FULL_RECONCILE_DAYS=7)
def test_the_daily_schedule_fires_once_per_system_per_day(sb):
    system = make_system(sb, auto_sync=True)
    make_system(sb, name="Off", auto_sync=False)
    day1 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert schedule.tick(day1, enqueue=False) == []  # first sight: scheduled, not run
    system.refresh_from_db()
    assert system.next_auto_sync_at == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    assert schedule.tick(day1 + timedelta(hours=2), enqueue=False) == []
    due = day1 + timedelta(hours=3)
    # Two schedulers (threads, workers, a restarted service) look at the same moment.
    first = schedule.tick(due, enqueue=False)
    second = schedule.tick(due + timedelta(seconds=30), enqueue=False)
    assert [r.system_id for r in first] == [system.pk] and second == []
    assert first[0].mode == "full" and first[0].trigger == "schedule"  # never fully synced
    SyncRun.objects.update(status="succeeded")
    system.refresh_from_db()
    assert system.next_auto_sync_at == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    system.last_full_sync_at = due
    system.save()
    next_day = schedule.tick(datetime(2026, 11, 24, 3, 31, tzinfo=UTC), enqueue=False)
    assert len(next_day) == 1 and next_day[0].mode == "incremental"
    SyncRun.objects.update(status="succeeded")
    week_later = schedule.tick(datetime(2026, 11, 30, 3, 31, tzinfo=UTC), enqueue=False)
    assert week_later[0].mode == "full"  # the weekly full reconciliation (R10)


@pytest.mark.django_db
def test_stale_claims_cannot_fire_twice(sb):
    system = make_system(sb, auto_sync=True)
    due = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    system.next_auto_sync_at = due
    system.save()
    copy_a = type(system).objects.get(pk=system.pk)
    copy_b = type(system).objects.get(pk=system.pk)
    assert schedule.claim_day(copy_a, due + timedelta(minutes=1)) is True
    assert schedule.claim_day(copy_b, due + timedelta(minutes=1)) is False


def test_run_scheduler_stops_when_asked(monkeypatch):
    calls = []
    monkeypatch.setattr(schedule, "tick", lambda: calls.append(1))
    monkeypatch.setattr(schedule, "close_old_connections", lambda: None)
    stop = threading.Event()
    stop.set()
    schedule.run_scheduler(stop, interval=0)
    assert calls == []


# --- CLI ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cli_sync_prints_one_summary_line(system, sb):
    out = StringIO()
    call_command("sync", system.name, "--full", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Main WHMCS: Full sync done:")
    out = StringIO()
    call_command("sync", str(system.pk), stdout=out)
    assert "Sync done: 0 new, 0 changed, 0 removed; 3 requests." in out.getvalue()


@pytest.mark.django_db
def test_cli_fails_with_a_one_line_reason(system, sb):
    sb.policy.permissions = set()
    with pytest.raises(CommandError) as err:
        call_command("sync", system.name, "--full", stdout=StringIO())
    message = str(err.value)
    assert "\n" not in message and "GetInvoices" in message
    with pytest.raises(CommandError, match="no accounting system"):
        call_command("sync", "nope", stdout=StringIO())


@pytest.mark.django_db
def test_cli_auto_syncs_every_system_with_automatic_sync_on(sb):
    on = make_system(sb, name="On", auto_sync=True)
    off = make_system(sb, name="Off", auto_sync=False)
    out = StringIO()
    call_command("sync", "--auto", stdout=out)
    assert "On: Full sync done" in out.getvalue()
    assert SyncRun.objects.filter(system=on, trigger="schedule").count() == 1
    assert not SyncRun.objects.filter(system=off).exists()


# --- web ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE)
def test_admin_starts_a_sync_from_the_web(admin_client, system, sb):
    admin_client.get(f"/sync/{system.pk}/")  # the page with the buttons sets the CSRF cookie
    response = csrf_post(admin_client, f"/sync/{system.pk}/start/", {"mode": "full"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    run = SyncRun.objects.get(system=system)
    assert run.status == "succeeded" and run.trigger == "user" and run.task_id
    assert_exact(system, sb)
    page = admin_client.get(f"/sync/{system.pk}/")
    assert page.status_code == 200 and b"Full sync" in page.content
    assert admin_client.get("/sync/").status_code == 200


@pytest.mark.django_db
def test_progress_fragment_polls_while_a_sync_runs(admin_client, system):
    SyncRun.objects.create(
        system=system, mode="full", trigger="user", status="running", step=3, steps_total=12, inserted=30
    )
    response = admin_client.get(f"/sync/{system.pk}/controls/")
    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body and "step 3 of 12" in body and 'value="25"' in body
    admin_client.get(f"/sync/{system.pk}/")
    second = csrf_post(
        admin_client, f"/sync/{system.pk}/start/", {"mode": "incremental"}, HTTP_HX_REQUEST="true"
    )
    assert "already running" in second.content.decode()


@pytest.mark.django_db
def test_a_running_full_sync_shows_invoices_read_a_time_estimate_and_cancel(admin_client, system):
    """Item 17: a full sync's counters are not 0 until the switch: the page shows how many
    invoices it has read of how many, about how long is left, and a Cancel button."""
    SyncRun.objects.create(
        system=system, mode="full", trigger="user", status="running", step=3, steps_total=12,
        next_offset=300, remote_total=1200, started_at=datetime.now(UTC) - timedelta(minutes=3),
    )  # fmt: skip
    body = admin_client.get(f"/sync/{system.pk}/controls/").content.decode()
    assert "300 of 1,200 invoices read" in body
    assert re.search(r"about [89]\xa0minutes left", body), body  # 3 steps in 3 minutes, 9 to go
    assert f'hx-post="/sync/{system.pk}/cancel/"' in body


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_a_running_sync_after_its_step_and_a_full_sync_resumes(sb, monkeypatch):
    """Item 17: Cancel on the page stops the run cleanly (interrupted, resumable): the next
    Full sync continues where it stopped and ends exact."""
    from forecaster.sync.engine import heartbeat

    monkeypatch.setattr(heartbeat, "CANCEL_CHECK_EVERY", 0.0)
    system = make_system(sb, step=10)
    admin = get_user_model().objects.create_user("boss", password="x", is_staff=True, is_superuser=True)
    client = csrf_client(admin)
    with stalled_full_sync(sb, system, at=30) as outcome:
        client.get(f"/systems/{system.pk}/")
        answer = csrf_post(client, f"/sync/{system.pk}/cancel/", {}, HTTP_HX_REQUEST="true")
        assert "stops after its current step" in answer.content.decode()
    (cancelled,) = outcome
    assert cancelled.status == "interrupted" and cancelled.error_class == "Cancelled"
    again = engine.run_sync(system, "full", "user")
    assert again.status == "succeeded" and again.resumed_from_id == cancelled.pk
    assert_exact(system, sb)


@pytest.mark.django_db
def test_when_a_run_ends_the_system_page_refreshes_its_panel(admin_client, system, sb):
    """Item 17: the system page's details (Invoices held, Last sync) listen for the end of the
    run its sync controls show, and the last poll of the controls announces it."""
    from forecaster.sync.models import Invoice

    page = admin_client.get(f"/systems/{system.pk}/").content.decode()
    assert 'hx-trigger="sync-finished from:body"' in page and "never" in page
    engine.run_sync(system, "full", "cli")
    polled = admin_client.get(f"/sync/{system.pk}/controls/", HTTP_HX_REQUEST="true")
    assert polled["HX-Trigger"] == "sync-finished"
    panel = admin_client.get(f"/systems/{system.pk}/panel/").content.decode()
    held = Invoice.objects.filter(system=system).count()
    assert held and f"{held} paid" in panel and 'id="system-panel"' in panel
    assert "never" not in panel.split("Last sync", 1)[1].split("</tr>", 1)[0]


@pytest.mark.django_db
def test_sync_buttons_need_an_admin_a_post_and_a_csrf_token(viewer_client, admin_client, system):
    viewer_client.get(f"/sync/{system.pk}/")
    assert csrf_post(viewer_client, f"/sync/{system.pk}/start/", {"mode": "full"}).status_code == 403
    assert admin_client.get(f"/sync/{system.pk}/start/").status_code == 405
    assert admin_client.post(f"/sync/{system.pk}/start/", {"mode": "full"}).status_code == 403
    assert not SyncRun.objects.exists()
    assert b"Full sync" not in viewer_client.get(f"/sync/{system.pk}/controls/").content


@pytest.mark.django_db(transaction=True)
def test_a_queued_sync_runs_in_the_real_db_worker(sb):
    from forecaster.sync.tasks import start_sync

    system = make_system(sb, step=20)
    run = start_sync(system, "full", "user")
    assert run.status == "queued" and run.task_id
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error_message
    assert_exact(system, sb)
