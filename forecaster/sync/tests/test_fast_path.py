"""The full sync's fast path stores exactly what the general path stores.

``plain_paid_fields`` reads WHMCS's usual record shape as text, without building ``Decimal``s;
these tests hold it to ``parse_invoice``: it either declines (the general path then decides) or
gives the very text the general path's values print as.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.sync import engine
from forecaster.sync.engine import run_sync
from forecaster.sync.models import Invoice
from forecaster.systems.whmcs.records import BadRecord, parse_invoice, plain_paid_fields
from tests.builders import assert_exact, make_system


def raw(**over):
    base = {
        "id": 7,
        "userid": 3,
        "firstname": "Zoë",
        "invoicenum": "FV/2024/7",
        "date": "2024-01-05",
        "datepaid": "2024-01-06 10:11:12",
        "subtotal": "10.00",
        "credit": "0.00",
        "tax": "2.30",
        "tax2": "0.00",
        "total": "12.30",
        "taxrate": "23.000",
        "taxrate2": "0.000",
        "status": "Paid",
        "currencycode": "PLN",
    }
    base.update(over)
    return base


def as_text(rec, tz):
    """The general path's values as SQLite is given them (str of each; naive UTC moment)."""
    paid = rec.date_paid
    if paid is not None:
        paid = str(paid.astimezone(UTC).replace(tzinfo=None))
    return (
        rec.whmcs_id,
        rec.number,
        str(rec.date),
        paid,
        str(rec.subtotal),
        str(rec.tax),
        str(rec.tax2),
        str(rec.credit),
        str(rec.total),
        str(rec.taxrate),
        str(rec.taxrate2),
        rec.currency,
    )


def agrees(record, tz=None):
    fast = plain_paid_fields(record, tz)
    if fast is None:
        return
    rec = parse_invoice(record, tz)  # must not raise: the fast path accepted it
    assert rec.status == "Paid"
    assert fast == as_text(rec, tz)


def test_usual_record_is_read_as_its_own_text():
    assert plain_paid_fields(raw()) == (
        7,
        "FV/2024/7",
        "2024-01-05",
        "2024-01-06 10:11:12",
        "10.00",
        "2.30",
        "0.00",
        "0.00",
        "12.30",
        "23.000",
        "0.000",
        "PLN",
    )


def test_date_paid_is_stored_in_utc_whatever_the_whmcs_zone():
    warsaw = ZoneInfo("Europe/Warsaw")
    assert plain_paid_fields(raw(), warsaw)[3] == "2024-01-06 09:11:12"
    agrees(raw(), warsaw)
    agrees(raw(datepaid="2024-07-01 00:30:00"), warsaw)


@pytest.mark.parametrize(
    "over",
    [
        {"status": "Unpaid"},
        {"status": "paid"},
        {"id": "7"},
        {"id": True},
        {"id": 0},
        {"subtotal": 10},
        {"subtotal": Decimal("10.00")},
        {"subtotal": "10.0"},
        {"subtotal": "010.00"},
        {"subtotal": " 10.00"},
        {"tax": "1.005"},
        {"taxrate": "23.00"},
        {"total": "1e3"},
        {"subtotal": "123456789012345.00"},
        {"date": "0000-00-00"},
        {"date": "2024-02-30"},
        {"date": "2024-W01-1"},
        {"datepaid": ""},
        {"datepaid": None},
        {"datepaid": "2024-01-06"},
        {"datepaid": "2024-01-06T10:11:12"},
        {"datepaid": "2024-13-06 10:11:12"},
        {"currencycode": "pln"},
        {"currencycode": " PLN"},
        {"currencycode": None},
        {"invoicenum": None},
        {"invoicenum": 12},
        {"invoicenum": " FV/1 "},
        {"invoicenum": "x" * 101},
    ],
)
def test_anything_unusual_goes_to_the_general_path(over):
    assert plain_paid_fields(raw(**over)) is None


def test_missing_fields_go_to_the_general_path():
    for key in ("id", "date", "datepaid", "tax2", "credit", "taxrate2", "currencycode", "invoicenum"):
        record = raw()
        del record[key]
        assert plain_paid_fields(record) is None


ODD_DAYS = ["1899-12-31", "1900-01-01", "3000-01-01"]  # years 1900 to 2999 are read
amount = st.one_of(
    st.decimals(min_value=-(10**15), max_value=10**15, places=2).map(str),
    st.sampled_from(["0.00", "-0.00", "10.00", "10", "1.5", "1.005", "", " 1.00", "x", "99999999999999.99"]),
    st.sampled_from(["99999999999.99", "100000000000.00", "-99999999999.99"]),
    st.integers(-(10**6), 10**6),
)
rate = st.one_of(
    st.decimals(min_value=0, max_value=10**8, places=3).map(str),
    st.sampled_from(["0.000", "23.000", "23.00", "", "-1.000"]),
)


@settings(max_examples=300, deadline=None)
@given(
    subtotal=amount,
    tax=amount,
    tax2=amount,
    credit=amount,
    total=amount,
    taxrate=rate,
    taxrate2=rate,
    day=st.sampled_from(["2024-01-05", "2024-02-29", "2023-02-29", "0000-00-00", "2024-1-5", *ODD_DAYS]),
    paid=st.sampled_from(
        ["2024-01-06 10:11:12", "0000-00-00 00:00:00", "2024-03-31 02:30:00", "2024-01-06 25:00:00", "", None]
    ),
    currency=st.sampled_from(["PLN", "", "USD1", "pln", "ABCDEFGHI"]),
    tz=st.sampled_from([None, ZoneInfo("UTC"), ZoneInfo("Europe/Warsaw")]),
    edge=st.sampled_from([None, "9999-12-31 23:59:59", "0001-01-01 00:30:00", "2999-12-31 23:59:59"]),
)
def test_fast_path_never_disagrees_with_the_general_path(
    subtotal, tax, tax2, credit, total, taxrate, taxrate2, day, paid, currency, tz, edge
):
    paid = edge or paid
    record = raw(
        subtotal=subtotal,
        tax=tax,
        tax2=tax2,
        credit=credit,
        total=total,
        taxrate=taxrate,
        taxrate2=taxrate2,
        date=day,
        datepaid=paid,
        currencycode=currency,
    )
    try:
        agrees(record, tz)
    except BadRecord as exc:  # pragma: no cover - would be a fast-path bug
        raise AssertionError(f"fast path accepted a record the general path rejects: {exc}") from None


@pytest.mark.django_db
@pytest.mark.parametrize("rate", ["1", "4.123457"])
def test_full_sync_stores_the_same_rows_with_and_without_the_fast_path(sb, monkeypatch, rate):
    fast = make_system(sb, name="fast", step=40, rate=rate)
    run_sync(fast, "full", "cli")
    original = engine.Engine.__init__

    def general_only(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._plain_text = False

    monkeypatch.setattr(engine.Engine, "__init__", general_only)
    slow = make_system(sb, name="slow", step=40, rate=rate)
    run_sync(slow, "full", "cli")
    assert_exact(fast, sb)
    fields = (
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
        "rate",
        "net_base",
        "tax_base",
    )
    mine = list(Invoice.objects.filter(system=fast).order_by("whmcs_id").values_list(*fields))
    theirs = list(Invoice.objects.filter(system=slow).order_by("whmcs_id").values_list(*fields))
    assert mine and mine == theirs
    # And no float crept in: every amount reads back as an exact Decimal.
    assert all(isinstance(v, Decimal) for row in mine for v in row[5:12])
