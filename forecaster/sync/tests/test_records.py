"""Reading one WHMCS invoice: only the whitelisted fields, exact amounts, bad ones rejected."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from forecaster.systems.whmcs.records import (
    BadRecord,
    FormatChanged,
    InvoiceRecord,
    parse_invoice,
    parse_page,
)


def raw(**over):
    base = {
        "id": 7,
        "userid": 3,
        "firstname": "Zoë",
        "lastname": "Müller",
        "companyname": "Acme",
        "invoicenum": "FV/2024/7",
        "date": "2024-01-05",
        "duedate": "2024-01-12",
        "datepaid": "2024-01-06 10:11:12",
        "subtotal": "10.00",
        "credit": "0.00",
        "tax": "2.30",
        "tax2": "0.00",
        "total": "12.30",
        "taxrate": "23.000",
        "taxrate2": "0.000",
        "status": "Paid",
        "paymentmethod": "banktransfer",
        "notes": "secret note",
        "currencycode": "PLN",
        "currencyprefix": "",
        "currencysuffix": " PLN",
    }
    base.update(over)
    return base


def test_strings_are_read_exactly():
    rec = parse_invoice(raw())
    assert rec == InvoiceRecord(
        whmcs_id=7,
        number="FV/2024/7",
        date=date(2024, 1, 5),
        date_paid=datetime(2024, 1, 6, 10, 11, 12, tzinfo=ZoneInfo("UTC")),
        status="Paid",
        subtotal=Decimal("10.00"),
        tax=Decimal("2.30"),
        tax2=Decimal("0.00"),
        credit=Decimal("0.00"),
        total=Decimal("12.30"),
        taxrate=Decimal("23.000"),
        taxrate2=Decimal("0.000"),
        currency="PLN",
    )


def test_ints_and_decimals_are_accepted():
    rec = parse_invoice(raw(id="7", subtotal=10, total=Decimal("12.3"), tax=Decimal("2.30")))
    assert rec.whmcs_id == 7 and rec.subtotal == Decimal("10.00") and rec.total == Decimal("12.30")


def test_zero_date_paid_means_none():
    assert parse_invoice(raw(datepaid="0000-00-00 00:00:00")).date_paid is None


def test_only_whitelisted_fields_exist():
    names = {f.name for f in dataclasses.fields(InvoiceRecord)}
    assert names == {
        "whmcs_id",
        "number",
        "date",
        "date_paid",
        "status",
        "subtotal",
        "tax",
        "tax2",
        "credit",
        "total",
        "taxrate",
        "taxrate2",
        "currency",
    }
    rec = parse_invoice(raw(brand_new_field="x", email="a@b.c"))
    assert "Müller" not in repr(rec) and "secret note" not in repr(rec)


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"subtotal": "12,50"}, "subtotal is not an amount"),
        ({"total": 1.5}, "total is not an amount"),
        ({"tax": "1.005"}, "tax has more than two decimals"),
        ({"date": "2024-13-45"}, "date is not a date"),
        ({"date": "0000-00-00"}, "date is missing"),
        ({"datepaid": "yesterday"}, "datepaid is not a date"),
        ({"currencycode": "P L N"}, "currency code is unreadable"),
    ],
)
def test_bad_fields_are_rejected_with_a_reason_and_the_id(over, reason):
    with pytest.raises(BadRecord) as err:
        parse_invoice(raw(**over))
    assert err.value.whmcs_id == 7 and err.value.reason == reason


@pytest.mark.parametrize("bad_id", [None, "", "abc", -1, True])
def test_missing_id_is_a_bad_record(bad_id):
    with pytest.raises(BadRecord) as err:
        parse_invoice(raw(id=bad_id))
    assert err.value.whmcs_id is None


def test_reasons_never_quote_client_data():
    with pytest.raises(BadRecord) as err:
        parse_invoice(raw(subtotal="Zoë Müller", firstname="Zoë"))
    assert "Zoë" not in str(err.value)


def test_page_keeps_good_records_and_reports_bad_ones():
    good, bad = parse_page([raw(id=1), raw(id=2, total="x"), raw(id=3)])
    assert [r.whmcs_id for r in good] == [1, 3]
    assert [(b.whmcs_id, b.reason) for b in bad] == [(2, "total is not an amount")]


def test_a_field_missing_on_every_record_is_a_format_change():
    records = [{k: v for k, v in raw(id=i).items() if k != "total"} for i in (1, 2)]
    with pytest.raises(FormatChanged, match="no invoice has the field 'total'"):
        parse_page(records)


# Hardening, item 1: each of these once raised out of the parser and stopped every import.
@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"subtotal": "1e27"}, "subtotal is too large"),
        ({"total": "1e309"}, "total is too large"),
        ({"total": Decimal("1E+309")}, "total is too large"),  # the JSON number 1e309
        ({"taxrate": "1e30"}, "taxrate is not a tax rate"),
        ({"id": "²"}, "invoice id is missing or not a whole number"),
        ({"id": 2**63}, "invoice id is out of range"),
        ({"id": str(2**63)}, "invoice id is out of range"),
        ({"datepaid": "9999-12-31 23:59:59"}, "datepaid is out of range"),
        ({"datepaid": "0001-01-01 00:30:00"}, "datepaid is out of range"),
        ({"date": "0001-01-01"}, "date is out of range"),
        ({"total": "99999999999999.99"}, "total is too large"),  # 16 digits: SQLite keeps 15
    ],
)
def test_odd_values_are_bad_records_with_a_reason(over, reason):
    good, bad = parse_page([raw(), raw(**{"id": 8, **over})], ZoneInfo("Europe/Warsaw"))
    assert [r.whmcs_id for r in good] == [7]
    assert len(bad) == 1 and bad[0].reason.startswith(reason), bad[0].reason


def test_the_largest_accepted_amount_has_at_most_13_digits():
    assert parse_invoice(raw(total="99999999999.99")).total == Decimal("99999999999.99")
    assert parse_invoice(raw(total="-99999999999.99")).total == Decimal("-99999999999.99")
    with pytest.raises(BadRecord):
        parse_invoice(raw(total="100000000000.00"))


def test_an_unforeseen_error_is_a_bad_record_not_a_crash():
    class Hostile(str):
        def strip(self, *args):
            raise RuntimeError("boom")

    with pytest.raises(BadRecord) as caught:
        parse_invoice(raw(status=Hostile("Paid")))
    reason = caught.value.reason
    assert caught.value.whmcs_id == 7 and "RuntimeError" in reason and "boom" not in reason
