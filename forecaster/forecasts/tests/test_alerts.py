"""Alerts: found by the daily job, recorded once, mailed exactly once — across restarts (the job
run again) and two workers sending at the same time."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.utils import timezone, translation

from forecaster.costs import terms as T
from forecaster.costs.models import Agreement, Commitment
from forecaster.forecasts import alerts, jobs
from forecaster.forecasts.history import add_months
from forecaster.forecasts.models import Alert, DailyJob, DeadlineSettings
from forecaster.forecasts.tests.builders import agreement, commitment, cost
from forecaster.sync.models import SyncRun
from tests.builders import make_system

TODAY = date(2026, 12, 2)


@pytest.fixture
def admin_with_mail(db):
    return get_user_model().objects.create_user(
        "boss", email="boss@example.com", is_superuser=True, is_staff=True
    )


@pytest.fixture
def contracts(db):
    a = agreement("Transit", expires="2027-03-31", renews=True, notice=(3, "months"))  # cancel-by 31 Dec 2026
    agreement("Lease", expires="2026-12-20", renews=False)  # expires in 18 days
    agreement("Far", expires="2027-09-30", renews=True, notice=(1, "months"))  # cancel-by 31 Aug: not yet
    c = commitment("Power", amount="300.00", starts="2026-01-01", indefinite=True)
    cost("2026-10-02", "300.00", commitment=c)  # October's arrived; November's (due 1 Nov) has not
    return a


def test_alerts_due_today_are_recorded_once(contracts):
    assert alerts.record_due(TODAY) == 3
    assert alerts.record_due(TODAY) == 0  # a restart finds the same alerts again: nothing new
    lease = Agreement.objects.get(title="Lease")
    power = Commitment.objects.get(name="Power")
    assert dict(Alert.objects.values_list("key", "kind")) == {
        f"cancel_by:{contracts.pk}:2026-12-31": "cancel_by",
        f"expiry:{lease.pk}:2026-12-20": "expiry",
        f"missing_cost:{power.pk}:2026-11-01": "missing_cost",
    }
    body = Alert.objects.get(kind="cancel_by").body
    assert "renews on 2027-03-31" in body and "by 2026-12-31" in body


def test_alert_days_are_per_agreement(contracts):
    DeadlineSettings.objects.create(agreement=contracts, alert_days=20)  # cancel-by is 29 days away
    alerts.record_due(TODAY)
    assert not Alert.objects.filter(kind="cancel_by").exists()


def test_sync_failing_for_two_days_is_alerted(db):
    system = make_system(name="Alpha", last_sync_ok=False, last_sync_message="wrong secret")
    run = SyncRun.objects.create(system=system, mode="incremental", trigger="schedule", status="failed")
    SyncRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=2, hours=1))
    found = alerts._failing_syncs(timezone.localdate())
    assert len(found) == 1 and "wrong secret" in found[0].body
    SyncRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(hours=30))
    assert alerts._failing_syncs(timezone.localdate()) == []  # one day: not yet


def test_each_alert_is_mailed_once_and_a_stale_claim_is_retried(contracts, admin_with_mail, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    alerts.record_due(TODAY)
    # Worker B claimed the cancel-by alert a minute ago and is still sending it.
    now = timezone.now()
    busy = Alert.objects.get(kind="cancel_by")
    Alert.objects.filter(pk=busy.pk).update(claimed_by="worker-b", claimed_at=now - timedelta(minutes=1))
    assert alerts.send_pending(now, worker="worker-a") == 2
    assert alerts.send_pending(now, worker="worker-a") == 0  # sent ones are never sent again
    assert len(mail.outbox) == 2 and mail.outbox[0].to == ["boss@example.com"]
    # Worker B died: after the claim timeout the alert goes out, once.
    later = now + alerts.CLAIM_TIMEOUT + timedelta(minutes=1)
    assert alerts.send_pending(later, worker="worker-a") == 1
    assert alerts.send_pending(later, worker="worker-a") == 0
    assert len(mail.outbox) == 3
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"[Commitment Forecaster] {a.subject}" for a in Alert.objects.all()
    )


def test_a_failing_mail_server_is_retried_later(contracts, admin_with_mail, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    alerts.record_due(TODAY)
    assert alerts.send_pending() == 0
    failed = Alert.objects.filter(sent_at=None, attempts=1).exclude(last_error="")
    assert failed.count() == 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert alerts.send_pending() == 3


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_send_each_alert_once(contracts, admin_with_mail, settings):
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a database that several connections share")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    alerts.record_due(TODAY)
    barrier = threading.Barrier(2)
    errors = []

    def worker(name: str) -> None:
        try:
            barrier.wait()
            alerts.send_pending(worker=name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(mail.outbox) == 3
    assert Alert.objects.filter(sent_at=None).count() == 0


def test_daily_job_runs_once_a_day_however_many_schedulers(contracts, admin_with_mail, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    jobs.tick(now)
    jobs.tick(now)  # a second scheduler (or a restart) the same day
    assert DailyJob.objects.filter(day=timezone.localdate(now)).count() == 1
    assert Alert.objects.count() == len(mail.outbox)


def test_dashboard_shows_the_next_cancel_by_date_and_alerts(admin_client):
    today = timezone.localdate()
    # A renewing agreement whose term ends in 3 months, with one month's notice.
    end = date.fromordinal(add_months(today.replace(day=1), 3).toordinal() - 1)
    agreement("Soon", expires=end.isoformat(), renews=True, notice=(1, "months"))
    Alert.objects.create(key="x", kind="expiry", subject="Expires soon: Lease", body=".", about_date=today)
    page = admin_client.get("/").content.decode()
    assert "Next cancel-by date" in page and "Soon" in page
    assert T.add_months(end, -1).isoformat() in page  # its cancel-by date
    assert "Expires soon: Lease" in page


def test_dashboard_and_deadlines_write_dates_as_polish_readers_do(admin_client):
    today = timezone.localdate()
    end = date.fromordinal(add_months(today.replace(day=1), 3).toordinal() - 1)
    agreement("Soon", expires=end.isoformat(), renews=True, notice=(1, "months"))
    cancel_by = T.add_months(end, -1)
    try:
        for url in ("/", "/forecasts/deadlines/"):
            page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
            assert cancel_by.strftime("%d.%m.%Y") in page, url
            assert cancel_by.isoformat() not in page and end.isoformat() not in page, url
    finally:
        translation.activate("en")  # a request leaves its language active in the test's thread
