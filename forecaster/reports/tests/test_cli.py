"""`forecaster report revenue`: formats, filters and one-line errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.builders import inv, make_system

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    us = make_system(name="US", rate="1")
    pl = make_system(name="Poland", rate="0.25")
    inv(us, 1, "2024-01-01", "10.01", "2.30")
    inv(pl, 1, "2024-01-15", "10.02", "2.31", currency="PLN")
    inv(pl, 2, "2025-02-28", "33.33", "7.67", currency="PLN")
    return us, pl


def run(capsys, *args):
    call_command("report", "revenue", *args)
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_json_format_is_the_product_shape(capsys, data):
    out, _ = run(capsys, "--format", "json", "--by", "year")
    assert json.loads(out) == {
        "currency": "USD",
        "by": "year",
        "from": None,
        "to": None,
        "rows": [
            {"period": "2024", "invoices": 2, "net": "12.52", "tax": "2.88", "gross": "15.40"},
            {"period": "2025", "invoices": 1, "net": "8.33", "tax": "1.92", "gross": "10.25"},
        ],
        "total": {"invoices": 3, "net": "20.85", "tax": "4.80", "gross": "25.65"},
    }


def test_csv_format(capsys, data):
    out, _ = run(capsys, "--format", "csv", "--by", "day", "--from", "2024-01-15")
    assert list(csv.reader(io.StringIO(out))) == [
        ["period", "invoices", "net", "tax", "gross"],
        ["2024-01-15", "1", "2.51", "0.58", "3.09"],
        ["2025-02-28", "1", "8.33", "1.92", "10.25"],
    ]


def test_table_format_has_a_total_line(capsys, data):
    out, _ = run(capsys, "--to", "2024-12-31")
    lines = out.splitlines()
    assert lines[0].split() == ["Period", "Invoices", "Net", "USD", "Tax", "USD", "Gross", "USD"]
    assert lines[2].split() == ["2024-01", "2", "12.52", "2.88", "15.40"]
    assert lines[-1].split() == ["Total", "2", "12.52", "2.88", "15.40"]


def test_system_by_name_or_id_and_paid_basis(capsys, data):
    _us, pl = data
    by_name, _ = run(capsys, "--system", "Poland", "--format", "json")
    by_id, _ = run(capsys, "--system", str(pl.pk), "--format", "json")
    assert by_name == by_id and json.loads(by_id)["total"]["invoices"] == 2
    paid, _ = run(capsys, "--basis", "paid", "--format", "json", "--by", "year")
    assert json.loads(paid)["total"]["invoices"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-02-30"], "no such date"),
        (["--to", "31.01.2024"], "YYYY-MM-DD"),
        (["--system", "Nowhere"], "no system"),
        (["--from", "2024-02-01", "--to", "2024-01-01"], "after"),
    ],
)
def test_bad_input_is_a_one_line_error(data, args, message):
    with pytest.raises(CommandError) as excinfo:
        call_command("report", "revenue", *args)
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_multi_currency_warning_goes_to_stderr(capsys, data):
    _us, pl = data
    inv(pl, 3, "2024-01-20", "1.00", currency="EUR")
    out, err = run(capsys, "--format", "json")
    assert "warning: Poland: invoices in EUR, PLN" in err
    json.loads(out)  # stdout stays machine-readable


def test_csv_text_cells_cannot_become_formulas():
    from forecaster.reports.exports import safe_text

    for text in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert safe_text(text) == "'" + text
    assert safe_text("2024-01") == "2024-01"
