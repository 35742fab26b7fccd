"""The outlook page, its exports and the API, with revenue history and commitments."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook

from forecaster.accounts.models import ApiToken
from forecaster.forecasts.explain import Part
from forecaster.forecasts.history import add_months
from forecaster.forecasts.outlook import outlook
from forecaster.forecasts.tests.builders import agreement, commitment, cost
from forecaster.forecasts.tests.seasonal import seasonal_history
from forecaster.forecasts.tests.test_revenue_page import with_history
from forecaster.lib.display import money_text
from tests.builders import make_system

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    today = timezone.localdate()
    a, b = make_system(name="Alpha"), make_system(name="Beta")
    with_history(a, seasonal_history(36, seed=7, start_month=today.month - 1), today)
    with_history(b, seasonal_history(12, seed=3), today, first_id=5000)
    first = today.replace(day=1)
    expires = add_months(first, 5)  # the agreement ends in the 5th month from now
    ag = agreement(
        "Colocation", starts="2020-01-01", expires=date.fromordinal(expires.toordinal() - 1).isoformat()
    )
    commitment("Rack", amount="1500.00", agreement=ag, starts=None)
    c = commitment("Support", starts=add_months(first, -6).isoformat(), indefinite=True)
    for i in range(6, 0, -1):
        cost(add_months(first, -i).replace(day=3).isoformat(), "100.00", "23.00", commitment=c)
    return today


def test_outlook_adds_up_revenue_costs_result_and_cumulative(data):
    o = outlook(data, 12)
    assert len(o.months) == 24 and sum(m.actual for m in o.months) == 12
    ahead = o.forecast_months
    running = Decimal("0.00")
    for m in ahead:
        assert m.revenue.amount == sum((c.amount for c in m.systems), Decimal("0.00"))
        assert m.result == m.revenue.amount - m.costs.amount
        running += m.result
        assert m.cumulative == running
        assert m.revenue.lower <= m.revenue.amount <= m.revenue.upper
    # Rack 1500.00 a month for the 5 months the agreement still runs, then only Support: 600.00 over
    # the 7 months from its start to this month inclusive (the original's rule) = 85.71 a month.
    assert [m.costs.amount for m in ahead[:7]] == [Decimal("1585.71")] * 5 + [Decimal("85.71")] * 2
    assert ahead[0].costs.estimate  # Support has no schedule: To end estimate
    rack = Part("cost_line", {"name": "Rack", "amount": Decimal("1500.00"), "method": "schedule"})
    assert rack in ahead[0].costs.parts
    assert ahead[0].systems[0].parts[0].inputs["method"] == "seasonal"
    assert "Rack: 1,500.00 (expected cost schedule (exact))" in ahead[0].costs.explain
    assert "Holt-Winters" in ahead[0].systems[0].explain
    # Actual months: the cost invoices, net, by document date.
    assert o.months[11].costs.amount == Decimal("100.00")


def test_outlook_page_shows_table_chart_data_and_explanations(admin_client, data):
    response = admin_client.get("/forecasts/?months=24")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cumulative result" in page and "Alpha" in page and "Beta" in page
    assert 'id="outlook-chart-data"' in page and "<script>" not in page.replace("<script src", "")
    chart = response.context["chart"]
    assert chart["today"] == 12 and len(chart["labels"]) == 36
    assert any(s["dashed"] for s in chart["series"]) and chart["upper"][12] is not None
    assert "expected cost schedule (exact)" in page  # a cell explains itself
    assert "Rack: 1,500.00 (expected cost schedule (exact))" in page


def test_polish_page_writes_explanations_and_amounts_in_polish_number_format(admin_client, data):
    o = outlook(data, 12)
    page = admin_client.get("/forecasts/?months=12", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    nbsp = "\xa0"  # Django's Polish thousands separator
    assert f"Rack: 1{nbsp}500,00 (harmonogram oczekiwanych kosztów (dokładnie))" in page
    assert "1500.00" not in page and "1500,00" not in page
    cell = o.forecast_months[0].systems[0]
    model = cell.parts[0].inputs
    with translation.override("pl"):
        lower, upper = money_text(model["lower"]), money_text(model["upper"])
        assert f"przedział 80 % {lower} – {upper}" in page
        assert f"<summary>{money_text(cell.amount)}</summary>" in page
        assert f"{money_text(o.total_result)} USD" in page
    assert "," in lower and "." not in lower


def test_outlook_exports_are_the_page_figures(admin_client, data):
    o = outlook(data, 12)
    rows = list(csv.DictReader(io.StringIO(admin_client.get("/forecasts/outlook.csv").content.decode())))
    assert [r["month"] for r in rows] == [m.key for m in o.months]
    assert rows[12]["kind"] == "forecast" and rows[12]["result"] == str(o.months[12].result)
    body = json.loads(admin_client.get("/forecasts/outlook.json", HTTP_ACCEPT_LANGUAGE="pl").content)
    assert body["forecast_result"] == str(o.total_result)
    # Explanations as parts in machine formats, whatever the reader's language.
    assert {"code": "cost_line", "inputs": {"name": "Rack", "amount": "1500.00", "method": "schedule"}} in (
        body["months"][12]["explain"]["costs"]
    )
    model = body["months"][12]["explain"]["revenue"][0]
    assert model["code"] == "revenue_sum" and set(model["inputs"]) == {"pipeline", "lower", "upper"}
    assert all(re.fullmatch(r"-?\d+\.\d{2}", v) for v in model["inputs"].values())
    wb = load_workbook(io.BytesIO(admin_client.get("/forecasts/outlook.xlsx").content))
    assert wb.active.cell(row=4, column=1).value == o.months[0].key
    pdf = admin_client.get("/forecasts/outlook.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"].startswith("attachment;")


def test_bad_parameters_are_clear_errors(admin_client, data):
    assert admin_client.get("/forecasts/?months=37").status_code == 400
    assert admin_client.get("/forecasts/?scenario=999").status_code == 400
    assert admin_client.get("/forecasts/outlook.csv?months=0").status_code == 400
    assert admin_client.get("/forecasts/outlook.doc").status_code == 404


def test_api_outlook_and_deadlines_need_a_token_and_follow_the_schema(data):
    _row, token = ApiToken.issue("test")
    client = Client()
    assert client.get("/api/outlook").status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = client.get("/api/outlook?months=3", **auth).json()
    assert len(body["months"]) == 15 and body["months"][12]["kind"] == "forecast"
    assert client.get("/api/outlook?months=99", **auth).status_code == 400
    assert client.get("/api/outlook?scenario=nope", **auth).status_code == 404
    deadlines = client.get("/api/deadlines", **auth).json()
    assert deadlines["deadlines"][0]["agreement"] == "Colocation"
    assert deadlines["deadlines"][0]["kind"] == "expires"
    schema = client.get("/api/openapi.json").json()
    assert {"/api/outlook", "/api/deadlines", "/api/revenue"} <= set(schema["paths"])
    required = set(schema["components"]["schemas"]["OutlookMonth"]["required"])
    assert required == set(body["months"][0])


def test_empty_outlook_says_what_to_do(admin_client):
    page = admin_client.get("/forecasts/").content.decode()
    assert "No accounting systems yet" in page


def _pdf_text(client: Client, lang: str) -> str:
    """The PDF's text as a reader copies it, spaces of any kind as plain spaces."""
    from pypdf import PdfReader

    with translation.override(lang):  # the request's language ends with it, not in later tests
        response = client.get("/forecasts/outlook.pdf", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return text.replace("\xa0", " ")


@pytest.mark.parametrize(("lang", "amount", "made"), [
    ("en", "1,585.71*", r"made \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\."),
    ("pl", "1 585,71*", r" \d{2}\.\d{2}\.\d{4} \d{2}:\d{2} UTC\."),
])  # fmt: skip
def test_outlook_pdf_has_the_pages_number_format_and_the_zone_of_its_made_at(
    admin_client, data, lang, amount, made
):
    text = _pdf_text(admin_client, lang)
    assert amount in text and "1585.71" not in text and "1585,71" not in text
    assert re.search(made, text), text[:300]


def _embedded_fonts(client: Client, lang: str) -> set[str]:
    """The fonts the PDF carries inside it (a TrueType file embedded), by name."""
    from pypdf import PdfReader

    with translation.override(lang):
        response = client.get("/forecasts/outlook.pdf", HTTP_ACCEPT_LANGUAGE=lang)
    fonts = set()
    for page in PdfReader(io.BytesIO(response.content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/FontFile2" in font.get("/FontDescriptor", {}):
                fonts.add(str(font["/BaseFont"]))
    return fonts


@pytest.mark.parametrize(("lang", "letters"), [("pl", "Perspektywa"), ("ru", "Перспектива")])
def test_outlook_pdf_sets_polish_and_russian_text_in_an_embedded_unicode_font(
    admin_client, data, lang, letters
):
    """The PDF's built-in Helvetica has no Polish or Cyrillic letters (they printed as boxes):
    the text is set in an embedded TrueType font, regular and bold."""
    assert letters in _pdf_text(admin_client, lang)
    fonts = _embedded_fonts(admin_client, lang)
    assert len(fonts) == 2 and any(f.endswith("-Bold") for f in fonts), fonts
