"""Decoding GetInvoices answers: exact amounts, only the kept fields, a byte order mark, and one
unreadable record quarantined without losing its page (through the client, as a sync reads)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import httpx
import pytest

from forecaster.systems import errors
from forecaster.systems.whmcs import decoding
from forecaster.systems.whmcs.client import RetryPolicy, WhmcsClient
from forecaster.systems.whmcs.records import FIELDS, parse_page

URL = "https://billing.example/includes/api.php"
BOM = b"\xef\xbb\xbf"


def answer(rows: bytes, *, n: int = 1, content_type: str = "application/json", prefix: bytes = b""):
    body = (
        b'{"result":"success","totalresults":%d,"startnumber":0,"numreturned":%d,'
        b'"invoices":{"invoice":%s}}' % (n, n, rows)
    )
    return httpx.Response(200, content=prefix + body, headers={"content-type": content_type})


def page_of(response: httpx.Response):
    transport = httpx.MockTransport(lambda _: response)
    return WhmcsClient(URL, "ident", "secret", transport=transport, retry=RetryPolicy()).get_invoices()


ROW = (
    b'{"id":%d,"invoicenum":"FV/1","date":"2024-01-05","datepaid":"2024-01-06 10:00:00",'
    b'"status":"Paid","subtotal":%s,"tax":"0.00","total":%s,"currencycode":"USD"}'
)


def test_json_fractions_are_exact_decimals_never_floats():
    rows = b"[%s,%s]" % (ROW % (1, b"0.10", b"1e2"), ROW % (2, b"0.30", b"12.300000000000000000"))
    page = page_of(answer(rows, n=2))
    assert page.records[0]["subtotal"] == Decimal("0.10")
    assert str(page.records[0]["subtotal"]) == "0.10"
    assert page.records[0]["total"] == Decimal("1E+2")
    good, bad = parse_page(page.records)
    assert bad == []
    assert [(r.subtotal, r.total) for r in good] == [
        (Decimal("0.10"), Decimal("100.00")),
        (Decimal("0.30"), Decimal("12.30")),
    ]
    assert all(isinstance(v, Decimal) for r in good for v in (r.subtotal, r.total))


def test_a_fraction_a_float_would_round_away_is_still_refused():
    # As a float 0.1000000000000000000001 is 0.1 and would pass as 0.10; it has more than two
    # decimals, so the record is quarantined with the reason.
    rows = b"[%s,%s]" % (ROW % (1, b"0.1000000000000000000001", b"1.00"), ROW % (2, b"1.00", b"1.00"))
    good, bad = parse_page(page_of(answer(rows, n=2)).records)
    assert [r.whmcs_id for r in good] == [2]
    assert [(b.whmcs_id, b.reason) for b in bad] == [(1, "subtotal has more than two decimals")]


def test_a_number_too_large_for_the_column_is_refused_not_rounded():
    rows = b"[%s]" % (ROW % (1, b"123456789012345678901234567890.12", b"1.00"))
    good, bad = parse_page(page_of(answer(rows)).records)
    assert good == [] and bad[0].whmcs_id == 1 and "too large" in bad[0].reason


SECRETS = b'"firstname":"Jan","lastname":"Kowalski","email":"jan@example.com","notes":"call me",'


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param(b"[{%s%s]" % (SECRETS, (ROW % (1, b'"1.00"', b'"1.00"'))[1:]), id="list"),
        # One invoice sent as an object instead of a list of one: another shape, same fields kept.
        pytest.param(b"{%s%s" % (SECRETS, (ROW % (1, b'"1.00"', b'"1.00"'))[1:]), id="single-object"),
    ],
)
def test_fields_never_read_are_not_kept(rows):
    page = page_of(answer(rows))
    assert len(page.records) == 1
    assert set(page.records[0]) <= set(FIELDS)
    assert set(page.records[0]) == {
        "id", "invoicenum", "date", "datepaid", "status", "subtotal", "tax", "total", "currencycode",
    }  # fmt: skip
    assert b"Kowalski" not in repr(page.records).encode()


def test_the_decoder_declares_exactly_the_fields_the_parser_reads():
    assert tuple(decoding._Invoice.__struct_fields__) == FIELDS


def test_the_bare_fetch_benchmark_decodes_without_django_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bare_fetch", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-500:]


@pytest.mark.parametrize("content_type", ["application/json", "text/html; charset=utf-8"])
def test_an_answer_starting_with_a_byte_order_mark_is_read(content_type):
    rows = b"[%s]" % (ROW % (1, b'"1.00"', b'"1.00"'))
    page = page_of(answer(rows, prefix=BOM, content_type=content_type))
    assert [r["id"] for r in page.records] == [1]


def test_a_record_of_wrong_types_is_quarantined_and_the_page_kept():
    bad_row = (
        b'{"id":2,"date":["2024-01-05"],"status":"Paid","subtotal":{"a":1},"total":true,'
        b'"invoicenum":7,"currencycode":null}'
    )
    rows = b"[%s,%s,%s]" % (ROW % (1, b'"1.00"', b'"1.00"'), bad_row, ROW % (3, b"2", b"2.50"))
    page = page_of(answer(rows, n=3))
    good, bad = parse_page(page.records)
    assert [r.whmcs_id for r in good] == [1, 3]
    assert good[1].subtotal == Decimal("2.00") and good[1].total == Decimal("2.50")
    assert [b.whmcs_id for b in bad] == [2]


@pytest.mark.parametrize(
    "content",
    [b'{"result":"success","totalresults":1,"invoices":{"invoice":[{"id":1', b'{"result":"success",NaN}'],
)
def test_invalid_json_is_the_same_clear_error(content):
    response = httpx.Response(200, content=content, headers={"content-type": "application/json"})
    with pytest.raises(errors.BadResponse, match="incomplete or invalid JSON"):
        page_of(response)
