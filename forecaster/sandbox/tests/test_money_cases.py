"""The money cases and paging quirks of a real WHMCS, each behind its own switch, over HTTP."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from forecaster.sandbox.api import JSON_ENCODING_ERROR
from forecaster.sandbox.data import DatasetSpec, generate
from forecaster.sandbox.testing import running_sandbox
from forecaster.sandbox.tests.helpers import call, fetch_all

ALL = ["getinvoices", "getinvoice", "gettransactions"]


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def _get_invoice(sb, client, invoice_id):
    return call(sb, client=client, action="GetInvoice", invoiceid=invoice_id).json()


def test_cases_off_leave_the_generated_data_as_it_was():
    # The money cases draw from their own random stream: with all of them at 0 the dataset is
    # the one every test and benchmark was written against.
    plain = generate(DatasetSpec(invoices=300, seed=4))
    cased = generate(DatasetSpec(invoices=300, seed=4, deposits=2, full_refunds=2))
    assert len(cased) > len(plain)
    for invoice_id in plain.ids():
        before = plain.invoice(invoice_id)
        after = cased.invoice(invoice_id)
        if after["status"] == before["status"]:
            assert after == before
    digest = hashlib.sha256(repr([plain.invoice(i) for i in plain.ids()]).encode()).hexdigest()
    again = generate(DatasetSpec(invoices=300, seed=4))
    assert digest == hashlib.sha256(repr([again.invoice(i) for i in again.ids()]).encode()).hexdigest()


def test_a_deposit_is_an_add_funds_invoice_spent_by_invoices_paid_from_credit(client):
    with running_sandbox(invoices=50, deposits=1, permissions=ALL) as sb:
        (deposit,) = [i for i, k in sb.state.kinds.items() if k == ("AddFunds",)]
        body = _get_invoice(sb, client, deposit)
        assert body["status"] == "Paid" and body["tax"] == "0.00"
        assert [(i["type"], i["amount"]) for i in body["items"]["item"]] == [("AddFunds", body["subtotal"])]
        (payment,) = body["transactions"]["transaction"]
        assert payment["amountin"] == body["total"] == body["subtotal"]
        # The invoices paid from that credit: Paid, credit = their gross, total 0, no money moved.
        spent = [i for i in sb.state.ids("Paid") if i > 50 and i != deposit and sb.state.item_kind(i) == ()]
        spent = [i for i in spent if sb.state.invoice(i)["credit"] != "0.00"]
        gross = Decimal(0)
        for invoice_id in spent:
            inv = _get_invoice(sb, client, invoice_id)
            assert inv["status"] == "Paid" and inv["total"] == "0.00" and inv["transactions"] == ""
            assert Decimal(inv["credit"]) == Decimal(inv["subtotal"]) + Decimal(inv["tax"]) + Decimal(
                inv["tax2"]
            )
            gross += Decimal(inv["credit"])
        assert gross == Decimal(body["subtotal"])


def test_a_mass_payment_pays_its_invoices_through_credit(client):
    with running_sandbox(invoices=50, mass_payments=1, permissions=ALL) as sb:
        (mass,) = [i for i, k in sb.state.kinds.items() if k and k[0] == "Invoice"]
        body = _get_invoice(sb, client, mass)
        items = body["items"]["item"]
        assert {i["type"] for i in items} == {"Invoice"} and len(items) >= 2
        assert sum(Decimal(i["amount"]) for i in items) == Decimal(body["total"])
        assert body["transactions"]["transaction"][0]["amountin"] == body["total"]
        for item in items:
            child = _get_invoice(sb, client, item["relid"])
            assert (
                child["status"] == "Paid" and child["credit"] == item["amount"] and child["total"] == "0.00"
            )


def test_partial_and_full_refunds_and_chargebacks(client):
    with running_sandbox(
        invoices=200, partial_refunds=1, full_refunds=1, chargebacks=1, permissions=ALL
    ) as sb:
        txs = call(sb, client=client, action="GetTransactions").json()["transactions"]["transaction"]
        out = [t for t in txs if t["amountout"] != "0.00" and int(t["id"]) > 1_000_000_000]
        assert len(out) == 3
        by_status = {}
        for t in out:
            inv = _get_invoice(sb, client, int(t["invoiceid"]))
            payment = inv["transactions"]["transaction"][0]
            assert t["refundid"] == payment["id"] and t["date"] > payment["date"]
            by_status[inv["status"]] = (Decimal(t["amountout"]), Decimal(payment["amountin"]))
        assert set(by_status) == {"Paid", "Refunded", "Collections"}
        part, paid = by_status["Paid"]
        assert 0 < part < paid  # a partial refund leaves the invoice Paid
        assert by_status["Refunded"][0] == by_status["Refunded"][1]
        assert by_status["Collections"][0] == by_status["Collections"][1]


def test_get_transactions_filters_and_needs_its_permission(client):
    with running_sandbox(invoices=30, permissions=ALL) as sb:
        paid = next(i for i in sb.state.ids("Paid") if sb.state.invoice(i)["total"] != "0.00")
        body = call(sb, client=client, action="GetTransactions", invoiceid=paid).json()
        assert body["totalresults"] == 1
        (tx,) = body["transactions"]["transaction"]
        assert tx["invoiceid"] == str(paid) and tx["refundid"] == "0" and tx["amountout"] == "0.00"
        sb.policy.permissions = {"getinvoices"}
        refused = call(sb, client=client, action="GetTransactions")
        assert refused.status_code == 403
        assert refused.json()["message"] == 'Invalid Permissions: API action "gettransactions" is not allowed'


def test_ignore_orderby_answers_in_the_pre_7_7_order(client):
    with running_sandbox(invoices=200, ignore_orderby=True) as sb:
        body = call(sb, client=client, status="Paid", orderby="id", order="asc", limitnum=50).json()
        ids = [i["id"] for i in body["invoices"]["invoice"]]
        dues = [i["duedate"] for i in body["invoices"]["invoice"]]
        assert ids != sorted(ids)
        assert dues == sorted(dues, reverse=True)


def test_page_cap_returns_fewer_rows_than_asked(client):
    with running_sandbox(invoices=200, page_cap=30) as sb:
        body = call(sb, client=client, status="Paid", orderby="id", limitnum=100).json()
        assert body["numreturned"] == 30 and body["totalresults"] > 100
        # A client that advances by what it asked for silently skips rows; by what came back, not.
        assert len(fetch_all(sb, client, step=100, status="Paid", orderby="id")) < body["totalresults"]
        assert len(fetch_all(sb, client, step=30, status="Paid", orderby="id")) == body["totalresults"]


def test_malformed_utf8_fails_json_pages_but_not_xml(client):
    with running_sandbox(invoices=100, malformed_utf8_invoices=[10]) as sb:
        bad = call(sb, client=client, status="", orderby="id", limitstart=0, limitnum=20)
        assert bad.status_code == 200
        assert bad.json() == {"result": "error", "message": JSON_ENCODING_ERROR}
        # Pages without that client's invoices still work in JSON.
        userid = sb.state.userid[sb.state.row_of(10)]
        other = [i for i in sb.state.ids() if sb.state.userid[sb.state.row_of(i)] != userid][-1]
        start = sb.state.ids().index(other)
        assert (
            call(sb, client=client, orderby="id", limitstart=start, limitnum=1).json()["result"] == "success"
        )
        # The same page in XML: the raw bytes of the bad record are in it.
        xml = call(sb, client=client, responsetype="xml", orderby="id", limitstart=0, limitnum=20)
        assert b"\xc3\x28" in xml.content
        with pytest.raises(ET.ParseError):
            ET.fromstring(xml.content)
        root = ET.fromstring(xml.content.decode("utf-8", "replace"))
        assert root.findtext("result") == "success" and len(root.find("invoices")) == 20


def test_truth_money_in_minus_out_equals_revenue_when_deposits_are_spent():
    state = generate(DatasetSpec(invoices=0, seed=3, deposits=4, mass_payments=3))
    for invoice_id in state.ids("Paid")[:3]:
        if state.item_kind(invoice_id) == () and state.invoice(invoice_id)["total"] != "0.00":
            state.refund(invoice_id, amount="1.00", when=datetime(2026, 11, 1, 12))
    cash = state.cash(by="year")
    revenue = state.revenue_truth(by="year")
    assert sum(cash.values()) == sum(n + t for n, t in revenue.values())
    assert sum(cash.values()) > 0


def test_the_cli_refuses_bad_switch_values():
    with pytest.raises(CommandError, match="page-cap"):
        call_command("sandbox", "--page-cap", "x")
    with pytest.raises(CommandError, match="no invoice 99999"):
        call_command("sandbox", "--invoices", "10", "--port", "0", "--malformed-utf8-invoice", "99999")
