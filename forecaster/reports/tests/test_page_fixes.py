"""What a newcomer met on the report pages (issue 10, items 20–21)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from forecaster.currency.ecb import _ecb
from forecaster.currency.models import SystemRatePolicy
from forecaster.reports.views import PAGE_ROWS, report_presets
from tests.builders import inv, make_system
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


def test_an_empty_dashboard_says_what_to_do_instead_of_drawing_a_blank_chart(admin_client):
    page = admin_client.get("/").content.decode()
    assert "data-empty-state" in page and "revenue-chart" not in page
    assert 'href="/systems/"' in page


def test_a_dashboard_with_systems_but_no_invoices_asks_for_a_full_sync(admin_client):
    make_system(name="US")
    page = admin_client.get("/").content.decode()
    assert "data-empty-state" in page and "full sync" in page and "<canvas" not in page


def test_the_dashboard_draws_the_chart_once_invoices_are_held(viewer_client):
    inv(make_system(name="US"), 1, str(timezone.localdate()), "10.00", "2.30")
    page = viewer_client.get("/").content.decode()
    assert "data-empty-state" not in page and "<canvas" in page


def test_the_systems_list_and_the_dashboard_say_gross_and_net(viewer_client):
    inv(make_system(name="US"), 1, str(timezone.localdate()), "10.00", "2.30")
    assert "Total gross (USD)" in viewer_client.get("/systems/").content.decode()
    assert "Net USD" in viewer_client.get("/").content.decode()


def test_the_rates_page_counts_invoices_per_currency_and_dates_the_ecb_rate_it_uses(admin_client):
    sys = make_system(name="EU", rate="1")
    SystemRatePolicy.objects.create(system=sys, source="ecb")
    for i in range(3):
        inv(sys, i + 1, "2024-01-15", "10.00", currency="PLN")
    page = admin_client.get(f"/reports/rates/{sys.pk}/").content.decode()
    row = re.search(r"<tr><td>PLN</td>(.*?)</tr>", page, re.S).group(1)
    assert '<td class="num">3</td>' in row and "yes" not in row
    last = min(_ecb().bounds["PLN"].last_date, _ecb().bounds["USD"].last_date)
    assert f"ECB rate of {last.isoformat()}" in row
    assert timezone.localdate() > last  # the shipped history cannot contain today…
    assert f"of {timezone.localdate().isoformat()}" not in row  # …so today's date is not claimed


def test_the_systems_list_shows_the_rate_source_after_switching_to_ecb(admin_client):
    sys = make_system(name="EU", rate="4.25")
    assert "4.25" in admin_client.get("/systems/").content.decode()
    csrf_post(admin_client, f"/reports/rates/{sys.pk}/", {"action": "policy", "source": "ecb"})
    row = re.search(
        rf'<tr id="system-{sys.pk}">(.*?)</tr>', admin_client.get("/systems/").content.decode(), re.S
    )
    assert "ECB" in row.group(1) and "4.25" not in row.group(1)


def test_the_revenue_page_states_its_date_range(viewer_client):
    inv(make_system(name="US"), 1, "2024-01-15", "10.00")
    page = viewer_client.get("/reports/revenue/?from=2024-01-01&to=2024-12-31").content.decode()
    assert "Period: 2024-01-01 – 2024-12-31 (both days included)" in page
    page = viewer_client.get("/reports/revenue/").content.decode()
    assert "Period: all time" in page


def test_quick_periods_keep_the_other_filters(viewer_client):
    us = make_system(name="US")
    inv(us, 1, "2024-01-15", "10.00")
    page = viewer_client.get(f"/reports/revenue/?by=day&system={us.pk}&basis=paid&page=2").content.decode()
    links = re.findall(r'<a href="\?([^"]+)">', page.split("Quick periods", 1)[1].split("</p>", 1)[0])
    assert len(links) == 4
    for link in links:
        query = parse_qs(link.replace("&amp;", "&"))
        assert query["by"] == ["day"] and query["system"] == [str(us.pk)] and query["basis"] == ["paid"]
        assert "page" not in query


def test_last_12_months_is_not_this_year_in_december():
    presets = dict(report_presets(date(2026, 12, 2)))
    assert presets["This year"] == {"from": "2026-01-01", "to": "2026-12-02"}
    assert presets["Last 12 months"] == {"from": "2025-12-03", "to": "2026-12-02"}


def test_a_day_grouping_over_all_time_is_paged(viewer_client):
    us = make_system(name="US")
    first = date(2023, 1, 1)
    days = PAGE_ROWS + 30
    for i in range(days):
        inv(us, i + 1, (first + timedelta(days=i)).isoformat(), "1.00", refresh=False)
    from forecaster.reports import aggregates

    aggregates.refresh(us.pk)
    page = viewer_client.get("/reports/revenue/?by=day").content.decode()
    body = page.split('<table class="grid report">', 1)[1].split("<tfoot>", 1)[0]
    assert body.count("<tr>") - 1 == PAGE_ROWS  # header row + one page of days
    assert f"of {days}" in page  # the pager says how many rows there are
    tfoot = page.split("<tfoot>", 1)[1]
    assert f">{days}<" in tfoot  # the total still covers every day
    second = viewer_client.get("/reports/revenue/?by=day&page=2").content.decode()
    body2 = second.split('<table class="grid report">', 1)[1].split("<tfoot>", 1)[0]
    assert body2.count("<tr>") - 1 == 30


def test_the_404_page_has_the_layout_and_every_page_a_favicon(viewer_client, anon_client):
    missing = viewer_client.get("/no-such-page/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert 'class="topbar"' in html and "Page not found" in html and 'rel="icon"' in html
    icon = anon_client.get("/favicon.ico")
    assert icon.status_code == 302 and icon["Location"].endswith(".svg")
