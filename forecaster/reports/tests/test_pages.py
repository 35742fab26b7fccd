"""Dashboard, revenue page and exports as viewers and administrators see them."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from forecaster.currency.models import SiteSettings, SystemCurrencyRate, SystemRatePolicy
from forecaster.sync.models import Invoice
from tests.builders import inv, make_system
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db
D = Decimal
CANARY_SECRET = "canary-secret-7f3a9c"


@pytest.fixture
def data():
    us = make_system(name="US", rate="1")
    us.set_secret(CANARY_SECRET)
    us.save()
    pl = make_system(name="PL <b>", rate="0.25")
    inv(us, 1, "2024-01-01", "10.01", "2.30")
    inv(us, 2, "2024-01-31", "0.05", "0.01", "0.01")
    inv(pl, 1, "2024-01-15", "10.02", "2.31", currency="PLN")
    inv(pl, 2, "2024-02-29", "33.33", "7.67", currency="PLN")
    inv(pl, 3, "2025-03-01", "1.00", "0.23", currency="PLN")
    return us, pl


def table_rows(html: str) -> list[list[str]]:
    """The report table's body and footer cells, as text."""
    body = html.split('<table class="grid report">', 1)[1].split("</table>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if cells:
            rows.append(cells)
    return rows


@pytest.mark.parametrize("by", ["year", "month", "day"])
def test_csv_and_json_exports_equal_the_page(viewer_client, data, by):
    query = f"?by={by}&from=2024-01-01&to=2025-12-31"
    page = viewer_client.get("/reports/revenue/" + query)
    assert page.status_code == 200
    shown = table_rows(page.content.decode())
    body, total = shown[:-1], shown[-1]

    exported = viewer_client.get("/reports/revenue/export.csv" + query)
    assert exported["Content-Type"].startswith("text/csv")
    assert "attachment" in exported["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert lines[0] == ["period", "invoices", "net", "tax", "gross"]
    assert lines[1:] == body

    report = json.loads(viewer_client.get("/reports/revenue/export.json" + query).content)
    assert [[r["period"], str(r["invoices"]), r["net"], r["tax"], r["gross"]] for r in report["rows"]] == body
    t = report["total"]
    assert ["Total", str(t["invoices"]), t["net"], t["tax"], t["gross"]] == total
    assert (report["from"], report["to"], report["by"]) == ("2024-01-01", "2025-12-31", by)


def test_xlsx_export_has_numeric_cells_and_the_same_total(viewer_client, data):
    response = viewer_client.get("/reports/revenue/export.xlsx?by=year")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = rows.index(("period", "invoices", "net", "tax", "gross"))
    body = rows[header + 1 :]
    assert [r[0] for r in body] == ["2024", "2025", "Total"]
    assert all(isinstance(v, (int, float)) for r in body for v in r[1:])
    json_total = json.loads(viewer_client.get("/reports/revenue/export.json?by=year").content)["total"]
    assert f"{body[-1][4]:.2f}" == json_total["gross"]


def test_report_page_filters_by_system_and_shows_a_chart(viewer_client, data):
    _us, pl = data
    html = viewer_client.get(f"/reports/revenue/?system={pl.pk}&by=year").content.decode()
    assert [r[0] for r in table_rows(html)] == ["2024", "2025", "Total"]
    assert 'id="revenue-chart-data"' in html and "vendor/chartjs/chart.umd.min.js" in html
    chart = json.loads(
        re.search(r'id="revenue-chart-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert chart["labels"] == ["2024", "2025"] and chart["net"] == ["10.84", "0.25"]
    assert "<script>" not in html  # no inline code: the chart is drawn by a static file
    assert "PL &lt;b&gt;" in html and "PL <b>" not in html


def test_bad_report_parameters_are_explained(viewer_client, data):
    r = viewer_client.get("/reports/revenue/?from=2024-13-01")
    assert r.status_code == 400 and "no such date" in r.content.decode()
    assert viewer_client.get("/reports/revenue/export.csv?by=week").status_code == 400
    assert viewer_client.get("/reports/revenue/export.pdf").status_code == 404


def test_dashboard_shows_this_month_year_and_last_year(viewer_client, data):
    us, pl = data
    today = timezone.localdate()
    inv(us, 10, today.isoformat(), "100.00", "23.00")
    last_year = today.replace(year=today.year - 1, day=min(today.day, 28))
    inv(us, 11, last_year.isoformat(), "50.00", "11.50")
    us.last_sync_at = timezone.now() - timedelta(hours=1)
    us.last_sync_ok = True
    us.save()
    pl.last_sync_at = timezone.now()
    pl.last_sync_ok = False
    pl.last_sync_message = "Authentication failed: check the identifier and secret"
    pl.save()
    html = viewer_client.get("/").content.decode()
    assert "100.00 USD" in html and "50.00 USD" in html and "+100.0%" in html
    assert 'badge ok">ok' in html and 'badge bad">failed' in html
    assert "Authentication failed" in html
    chart = json.loads(
        re.search(r'id="revenue-chart-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert len(chart["labels"]) == 24 and chart["net"][-1] == "100.00"


def test_viewers_see_reports_but_no_secrets_or_admin_pages(viewer_client, data):
    us, pl = data
    for url in [
        "/",
        "/reports/revenue/",
        "/reports/revenue/export.csv",
        "/reports/revenue/export.json",
        f"/reports/rates/{pl.pk}/",
    ]:
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8", "replace")
        assert CANARY_SECRET not in body and us.secret_ciphertext not in body
        assert "id-US" not in body  # the API identifier is not shown either
    for url in ["/reports/settings/", "/reports/tokens/"]:
        assert viewer_client.get(url).status_code == 403
    r = csrf_post(
        viewer_client, f"/reports/rates/{pl.pk}/", {"action": "set_rate", "currency": "EUR", "rate": "4"}
    )
    assert r.status_code == 403 and not SystemCurrencyRate.objects.exists()


def test_anonymous_visitors_are_sent_to_login(anon_client, data):
    for url in ["/", "/reports/revenue/", "/reports/revenue/export.csv", "/reports/tokens/"]:
        r = anon_client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], url


def test_admin_sets_a_currency_rate_and_applies_it_to_history(admin_client, data):
    _us, pl = data
    inv(pl, 9, "2024-03-01", "100.00", "0.00", currency="EUR")
    page = admin_client.get(f"/reports/rates/{pl.pk}/").content.decode()
    assert "EUR, PLN" in page  # the warning
    r = csrf_post(
        admin_client, f"/reports/rates/{pl.pk}/", {"action": "set_rate", "currency": "eur", "rate": "4.5"}
    )
    assert r.status_code == 302
    assert SystemCurrencyRate.objects.get(system=pl).currency == "EUR"
    assert Invoice.objects.get(system=pl, whmcs_id=9).net_base == D("25.00")  # not re-converted
    r = csrf_post(
        admin_client,
        f"/reports/rates/{pl.pk}/",
        {"action": "set_rate", "currency": "EUR", "rate": "4.4", "apply_history": "on"},
    )
    assert Invoice.objects.get(system=pl, whmcs_id=9).net_base == D("440.00")
    assert SystemCurrencyRate.objects.get(system=pl).rate == D("4.4")
    assert "EUR, PLN" not in admin_client.get("/").content.decode()
    bad = csrf_post(
        admin_client, f"/reports/rates/{pl.pk}/", {"action": "set_rate", "currency": "E1", "rate": "-1"}
    )
    assert bad.status_code == 400
    csrf_post(admin_client, f"/reports/rates/{pl.pk}/", {"action": "policy", "source": "ecb"})
    assert SystemRatePolicy.objects.get(system=pl).source == "ecb"
    csrf_post(admin_client, f"/reports/rates/{pl.pk}/", {"action": "delete_rate", "currency": "EUR"})
    assert not SystemCurrencyRate.objects.exists()


def test_admin_changes_the_base_currency(admin_client, data):
    r = csrf_post(admin_client, "/reports/settings/", {"base_currency": "pln", "reconvert": "on"})
    assert r.status_code == 302
    assert SiteSettings.objects.get(pk=1).base_currency == "PLN"
    assert json.loads(admin_client.get("/reports/revenue/export.json").content)["currency"] == "PLN"
    assert csrf_post(admin_client, "/reports/settings/", {"base_currency": "P1N"}).status_code == 400


def test_state_changes_need_post_and_csrf(admin_client, data):
    _us, pl = data
    r = admin_client.post(f"/reports/rates/{pl.pk}/", {"action": "policy", "source": "ecb"})
    assert r.status_code == 403
    assert admin_client.post("/reports/tokens/", {"name": "x"}).status_code == 403
    assert admin_client.get("/reports/tokens/1/revoke/").status_code == 405


# Report periods on pages follow the reader's locale (tables, chart axes); downloads keep ISO keys.
def chart_labels(html: str, chart_id: str) -> list[str]:
    found = re.search(rf'id="{chart_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))["labels"]


@pytest.mark.parametrize(
    ("lang", "months", "first_day"),
    [
        ("pl", ["01.2024", "02.2024", "03.2025"], "01.01.2024"),
        ("ru", ["01.2024", "02.2024", "03.2025"], "01.01.2024"),
        ("en", ["2024-01", "2024-02", "2025-03"], "2024-01-01"),
    ],
)
def test_revenue_report_periods_follow_the_locale_and_downloads_stay_iso(
    viewer_client, data, lang, months, first_day
):
    url = "/reports/revenue/?by=month&from=2024-01-01&to=2025-12-31"
    html = viewer_client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert [r[0] for r in table_rows(html)[:-1]] == months
    assert chart_labels(html, "revenue-chart-data") == months
    by_day = viewer_client.get(url.replace("month", "day"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert table_rows(by_day)[0][0] == first_day
    exported = viewer_client.get(url.replace("/?", "/export.csv?"), HTTP_ACCEPT_LANGUAGE=lang)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [r["period"] for r in rows] == ["2024-01", "2024-02", "2025-03"]
