"""Costs and result reports through the page, the downloads, the API and the CLI; the CSV import."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecaster.accounts.models import ApiToken
from forecaster.costs import queries
from forecaster.costs.models import CostCurrencyRate, CostInvoice, Tag
from forecaster.costs.tests.builders import commitment, inv, party
from forecaster.currency.money import convert
from tests.builders import inv as rev_inv
from tests.builders import make_system
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def books():
    """Two suppliers in two currencies, one commitment, one tag; revenue in January only."""
    CostCurrencyRate.objects.create(currency="PLN", rate=Decimal("0.250000"))
    dc, lic = party("DC"), party("Licences")
    c = commitment("Rack", counterparty=dc)
    a = inv(dc, "1", "2024-01-31", "10.02", "2.30", currency="PLN", commitment=c)  # 2.51 + 0.58
    b = inv(dc, "2", "2024-02-29", "100.00", "23.00", commitment=c)
    inv(lic, "L1", "2024-03-01", "50.00", "0.00")
    power = Tag.objects.create(name="power")
    a.tags.add(power)
    b.tags.add(power, Tag.objects.create(name="rack"))
    s = make_system(name="US")
    rev_inv(s, 1, "2024-01-15", "500.00", "0.00")
    return {"dc": dc, "lic": lic, "c": c}


def test_costs_by_month_counterparty_commitment_and_tag(books):
    by_month = queries.costs(by="month")
    assert [(r.key, r.invoices, r.net, r.vat) for r in by_month.rows] == [
        ("2024-01", 1, Decimal("2.51"), Decimal("0.58")),
        ("2024-02", 1, Decimal("100.00"), Decimal("23.00")),
        ("2024-03", 1, Decimal("50.00"), Decimal("0.00")),
    ]
    assert by_month.total.gross == Decimal("176.09")
    by_party = queries.costs(by="counterparty")
    assert [(r.label, r.net) for r in by_party.rows] == [
        ("DC", Decimal("102.51")),
        ("Licences", Decimal("50.00")),
    ]
    by_commitment = queries.costs(by="commitment")
    assert [(r.label, r.net) for r in by_commitment.rows] == [
        ("Rack", Decimal("102.51")),
        ("no commitment", Decimal("50.00")),
    ]
    by_tag = queries.costs(by="tag")
    assert {r.label: r.net for r in by_tag.rows} == {
        "power": Decimal("102.51"),
        "rack": Decimal("100.00"),
        "no tag": Decimal("50.00"),
    }
    assert by_tag.total.net == Decimal("152.51")  # each invoice once
    assert queries.costs(by="day", counterparty=books["lic"].pk).total.net == Decimal("50.00")


def test_result_has_every_month_with_revenue_or_costs(books):
    report = queries.result(by="month")
    assert [(r.period, r.revenue_net, r.costs_net, r.result_net) for r in report.rows] == [
        ("2024-01", Decimal("500.00"), Decimal("2.51"), Decimal("497.49")),
        ("2024-02", Decimal("0.00"), Decimal("100.00"), Decimal("-100.00")),
        ("2024-03", Decimal("0.00"), Decimal("50.00"), Decimal("-50.00")),
    ]
    assert report.total.result_net == Decimal("347.49")


def test_report_pages_and_downloads_agree(books, viewer_client):
    page = viewer_client.get("/costs/reports/costs/?by=counterparty")
    assert page.status_code == 200 and '"kind": "pie"' in page.content.decode()
    body = viewer_client.get("/costs/reports/costs/export.csv?by=month")
    assert body["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    assert [r["net"] for r in rows] == ["2.51", "100.00", "50.00"]
    data = json.loads(viewer_client.get("/costs/reports/result/export.json?by=year").content)
    assert data["total"] == {
        "revenue_net": "500.00",
        "costs_net": "152.51",
        "result_net": "347.49",
        "revenue_gross": "500.00",
        "costs_gross": "176.09",
        "result_gross": "323.91",
    }
    xlsx = viewer_client.get("/costs/reports/result/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert viewer_client.get("/costs/reports/costs/?from=2024-02-01&to=2024-01-01").status_code == 400
    assert viewer_client.get("/costs/reports/costs/export.csv?by=week").status_code == 400


def test_dashboard_shows_costs_and_result(books, viewer_client):
    page = viewer_client.get("/").content.decode()  # the books are older than 24 months
    assert 'id="costs-dashboard"' in page and "data-costs-empty" in page and "result-chart-data" not in page
    assert "3 cost invoices" in page
    inv(books["lic"], "now", timezone.localdate().isoformat(), "40.00", "0.00")
    page = viewer_client.get("/").content.decode()
    assert 'id="result-chart-data"' in page and "4 cost invoices" in page
    assert 'data-kpi="costs-1">40.00 USD' in page and 'data-kpi="result-1">-40.00 USD' in page


def test_api_endpoints_need_a_token_and_answer_json(books):
    _row, token = ApiToken.issue("t")
    client = Client()
    for path in (
        "/api/counterparties",
        "/api/commitments",
        "/api/cost-invoices",
        "/api/costs",
        "/api/result",
    ):
        assert client.get(path).status_code == 401
        r = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code == 200, path
    r = client.get("/api/costs?by=tag", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert r["total"]["net"] == "152.51"
    r = client.get("/api/cost-invoices?limit=1&offset=1", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert r["count"] == 3 and [i["number"] for i in r["cost_invoices"]] == ["2"]
    assert client.get("/api/costs?by=week", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 400
    assert client.get("/api/cost-invoices?limit=x", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 400
    schema = client.get("/api/openapi.json").json()
    assert {
        "/api/costs",
        "/api/result",
        "/api/cost-invoices",
        "/api/commitments",
        "/api/counterparties",
    } <= set(schema["paths"])


def test_cli_reports(books, capsys):
    call_command("report", "costs", "--by", "counterparty", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert out["total"]["net"] == "152.51"
    call_command("report", "result", "--by", "year")
    assert "347.49" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("report", "costs", "--from", "2024-13-01")


# --- CSV import ----------------------------------------------------------------------------------
HEADER = "counterparty,number,document_date,net,vat,gross,currency,tags\n"


def test_import_is_all_or_nothing_with_line_numbers(tmp_path, admin_client):
    party("DC")
    path = tmp_path / "costs.csv"
    path.write_text(
        HEADER
        + "DC,1,2024-01-31,100.00,23.00,123.00,USD,power\n"
        + "DC,2,2024-02-30,100.00,23.00,123.00,USD,\n"
        + "Nobody,3,2024-01-31,1.00,0.00,1.00,USD,\n"
        + "DC,4,2024-01-31,1.00,0.00,1.50,USD,\n"
        + "DC,1,2024-01-31,1.00,0.00,1.00,USD,\n"
    )
    with pytest.raises(CommandError, match="4 error"):
        call_command("costs", "import", str(path))
    assert not CostInvoice.objects.exists()
    with open(path, "rb") as fh:
        r = csrf_post(admin_client, "/costs/invoices/import/", {"file": fh})
    text = r.content.decode()
    assert r.status_code == 400
    for line in (
        '<td class="num">3</td>',
        '<td class="num">4</td>',
        '<td class="num">5</td>',
        '<td class="num">6</td>',
    ):
        assert line in text
    assert "Nothing was imported" in text and not CostInvoice.objects.exists()


def test_import_dry_run_then_for_real(tmp_path, capsys):
    party("DC", vat_id="PL1234563218", country="PL")
    path = tmp_path / "costs.csv"
    path.write_text(
        "counterparty,vat_id,number,document_date,net,vat,gross,currency\n"
        "whatever,123-456-32-18,1,2024-01-31,100.00,23.00,123.00,USD\n"
        "DC,,2,2024-02-01,10.00,0,10.00,usd\n"
    )
    call_command("costs", "import", str(path), "--dry-run")
    assert "2 cost invoice(s) would be imported" in capsys.readouterr().out
    assert not CostInvoice.objects.exists()
    call_command("costs", "import", str(path))
    assert CostInvoice.objects.count() == 2
    with pytest.raises(CommandError):  # the same file again: numbers already taken
        call_command("costs", "import", str(path))
    assert CostInvoice.objects.count() == 2


def test_import_refuses_files_that_are_not_csv_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError):
        call_command("costs", "import", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("costs", "import", str(tmp_path / "missing.csv"))


# --- property: any grouping sums to the same total ------------------------------------------------
money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2)
line = st.tuples(
    st.integers(0, 2),
    st.integers(0, 2),
    st.dates(date(2023, 12, 20), date(2024, 1, 10)),
    money,
    money,
    st.sampled_from(["USD", "PLN", "EUR"]),
)


class Rollback(Exception):
    pass


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(line, max_size=15),
    pln=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("9"), places=6),
)
def test_every_grouping_sums_to_the_same_total_to_the_cent(db, lines, pln):
    try:
        with transaction.atomic():
            CostCurrencyRate.objects.create(currency="PLN", rate=pln)
            parties = [party(f"P{i}") for i in range(3)]
            commitments = [commitment(f"C{i}") for i in range(2)] + [None]
            expected = Decimal("0.00")
            for n, (p, c, day, net, vat, cur) in enumerate(lines):
                i = inv(
                    parties[p],
                    str(n),
                    day.isoformat(),
                    str(net),
                    str(vat),
                    currency=cur,
                    commitment=commitments[c],
                )
                rate = pln if cur == "PLN" else i.rate
                assert i.net_base == convert(net, rate) and i.vat_base == convert(vat, rate)
                expected += i.net_base + i.vat_base
            totals = set()
            for by in ("year", "month", "day", "counterparty", "commitment"):
                report = queries.costs(by=by)
                assert report.total.gross == sum((r.gross for r in report.rows), Decimal("0.00"))
                totals.add(report.total.gross)
            totals.add(queries.total().gross)
            totals.add(queries.result(by="month").total.costs_gross)
            assert totals == {expected}
            raise Rollback
    except Rollback:
        pass


MONTH = {"en": r"\d{4}-\d{2}", "pl": r"\d{2}\.\d{4}", "ru": r"\d{2}\.\d{4}"}


@pytest.mark.parametrize("lang", ["ru", "pl", "en"])
def test_report_periods_on_pages_follow_the_locale(books, viewer_client, lang):
    export = viewer_client.get("/costs/reports/result/export.csv?by=month", HTTP_ACCEPT_LANGUAGE=lang)
    iso = [r["period"] for r in csv.DictReader(io.StringIO(export.content.decode()))]
    assert iso and all(re.fullmatch(r"\d{4}-\d{2}", p) for p in iso)  # downloads keep ISO
    shown = {p if lang == "en" else f"{p[5:7]}.{p[:4]}" for p in iso}
    for url in ("/costs/reports/result/?by=month", "/costs/reports/costs/?by=month"):
        html = viewer_client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        periods = [c for c in re.findall(r"<tr><td>([^<]*)</td>", html) if re.fullmatch(MONTH[lang], c)]
        assert periods and set(periods) <= shown, url
        data = re.search(r'type="application/json">(.*?)</script>', html, re.S).group(1)
        assert set(json.loads(data)["labels"]) <= shown and json.loads(data)["labels"]
