"""Report outputs checked against stored snapshots (tests/snapshots/*.json|csv).

A deliberate change of output: run with ``UPDATE_SNAPSHOTS=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from forecaster.currency.models import SystemCurrencyRate
from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db
SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def ledger(settings):
    """Three systems, three currencies, month/year edges, a leap day and unpaid invoices."""
    settings.BASE_CURRENCY = "USD"
    us = make_system(name="US", rate="1")
    pl = make_system(name="PL", rate="0.25")
    SystemCurrencyRate.objects.create(system=pl, currency="EUR", rate="1.0837")
    eu = make_system(name="EU", rate="1.0837")
    rows = [
        (us, 1, "2023-12-31", "100.00", "23.00", "0.00", "USD", "Paid"),
        (us, 2, "2024-01-01", "10.01", "2.30", "0.00", "USD", "Paid"),
        (us, 3, "2024-01-31", "0.05", "0.01", "0.01", "USD", "Paid"),
        (us, 4, "2024-01-31", "999.99", "230.00", "0.00", "USD", "Cancelled"),
        (pl, 1, "2024-01-15", "10.02", "2.31", "0.00", "PLN", "Paid"),
        (pl, 2, "2024-02-29", "33.33", "7.67", "0.00", "PLN", "Paid"),
        (pl, 3, "2024-02-29", "5.00", "1.15", "0.00", "EUR", "Paid"),
        (pl, 4, "2024-03-01", "-12.34", "-2.84", "0.00", "PLN", "Paid"),
        (eu, 1, "2024-12-31", "19.99", "4.60", "0.00", "EUR", "Paid"),
        (eu, 2, "2025-01-01", "1.00", "0.00", "0.00", "EUR", "Paid"),
        (eu, 3, "2025-01-01", "7.77", "1.79", "0.00", "EUR", "Refunded"),
    ]
    for sys_, id_, day, net, tax, tax2, cur, status in rows:
        inv(sys_, id_, day, net, tax, tax2, currency=cur, status=status)


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8", newline="")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {name} was missing and has been written; review and commit it")
    assert text == read(name), f"{name} differs from its snapshot"


def read(name: str) -> str:
    """A snapshot exactly as stored (CSV keeps its CRLF line ends)."""
    return (SNAPSHOTS / name).read_bytes().decode("utf-8")


def cli(capsys, *args: str) -> str:
    call_command("report", "revenue", *args)
    return capsys.readouterr().out


@pytest.mark.parametrize("by", ["year", "month", "day"])
def test_json_snapshot(ledger, capsys, by):
    check(f"revenue_{by}.json", cli(capsys, "--by", by, "--format", "json"))


@pytest.mark.parametrize("by", ["year", "month", "day"])
def test_csv_snapshot(ledger, capsys, by):
    check(f"revenue_{by}.csv", cli(capsys, "--by", by, "--format", "csv"))


def test_filtered_snapshot(ledger, capsys):
    out = cli(
        capsys,
        "--from",
        "2024-01-31",
        "--to",
        "2024-02-29",
        "--by",
        "day",
        "--system",
        "PL",
        "--format",
        "json",
    )
    check("revenue_pl_2024-01-31_2024-02-29_day.json", out)


def test_table_snapshot(ledger, capsys):
    check("revenue_month.txt", cli(capsys, "--by", "month"))


def test_web_exports_match_the_snapshots(ledger, viewer_client):
    for by in ("year", "month", "day"):
        csv_body = viewer_client.get(f"/reports/revenue/export.csv?by={by}").content.decode()
        assert csv_body == read(f"revenue_{by}.csv")
        json_body = viewer_client.get(f"/reports/revenue/export.json?by={by}").content.decode()
        assert json_body + "\n" == read(f"revenue_{by}.json")
