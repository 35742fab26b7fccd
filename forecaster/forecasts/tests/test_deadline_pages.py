"""The deadlines page, exports, alert days, and the revocable iCalendar feed."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from forecaster.forecasts.history import add_months
from forecaster.forecasts.models import CalendarFeed, DeadlineSettings
from forecaster.forecasts.tests.builders import agreement, commitment
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon():
    today = timezone.localdate()
    end = date.fromordinal(add_months(today.replace(day=1), 3).toordinal() - 1)
    a = agreement("Transit", expires=end.isoformat(), renews=True, notice=(1, "months"))
    commitment("Transit 10G", amount="1000.00", agreement=a)
    return a


def test_page_lists_deadlines_with_cost_at_stake_and_exports(admin_client, soon):
    page = admin_client.get("/forecasts/deadlines/").content.decode()
    assert "Transit" in page and "renews unless notice is given" in page
    rows = list(
        csv.DictReader(io.StringIO(admin_client.get("/forecasts/deadlines/export.csv").content.decode()))
    )
    assert rows[0]["agreement"] == "Transit" and rows[0]["kind"] == "renews"
    assert rows[0]["cost_at_stake"] == "3000.00"  # this month and the two after it
    assert admin_client.get("/forecasts/deadlines/export.xlsx").status_code == 200
    assert (
        admin_client.get("/forecasts/deadlines/export.json").json()["deadlines"][0]["cost_at_stake"]
        == "3000.00"
    )


def test_empty_deadlines_say_so(viewer_client):
    assert "No agreement ends or needs notice" in viewer_client.get("/forecasts/deadlines/").content.decode()


def test_administrator_sets_alert_days_per_agreement(admin_client, viewer_client, soon):
    admin_client.get("/forecasts/deadlines/")  # the page's forms set the CSRF cookie
    viewer_client.get("/forecasts/deadlines/")
    assert (
        csrf_post(
            admin_client, f"/forecasts/deadlines/{soon.pk}/alert-days/", {"alert_days": "45"}
        ).status_code
        == 302
    )
    assert DeadlineSettings.objects.get(agreement=soon).alert_days == 45
    csrf_post(admin_client, f"/forecasts/deadlines/{soon.pk}/alert-days/", {"alert_days": "0"})
    assert DeadlineSettings.objects.get(agreement=soon).alert_days == 45  # refused, kept
    assert (
        csrf_post(
            viewer_client, f"/forecasts/deadlines/{soon.pk}/alert-days/", {"alert_days": "5"}
        ).status_code
        == 403
    )


def test_calendar_feed_is_secret_shown_once_and_revocable(viewer_client, soon):
    viewer_client.get("/forecasts/deadlines/")
    csrf_post(viewer_client, "/forecasts/calendar-feeds/new/")
    page = viewer_client.get("/forecasts/deadlines/").content.decode()
    url = re.search(r'id="feed-url">([^<]+)<', page).group(1)
    assert "/api/calendar/fcal_" in url
    assert 'id="feed-url"' not in viewer_client.get("/forecasts/deadlines/").content.decode()  # once
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in str(
        list(CalendarFeed.objects.values_list("token_hash", flat=True))
    )  # only a hash kept

    anonymous = Client()  # a calendar app: no login
    response = anonymous.get(f"/api/calendar/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    assert summaries == ["Last day to give notice: Transit", "Renews unless cancelled: Transit"]

    feed = CalendarFeed.objects.get()
    csrf_post(viewer_client, f"/forecasts/calendar-feeds/{feed.pk}/revoke/")
    assert anonymous.get(f"/api/calendar/{token}.ics").status_code == 404
    assert anonymous.get("/api/calendar/fcal_guess.ics").status_code == 404
