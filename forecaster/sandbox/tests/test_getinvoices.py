"""GetInvoices through real HTTP: defaults, paging, filters, ordering and response shape."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

import httpx
import pytest

from forecaster.sandbox.data import STATUSES, DatasetSpec, generate
from forecaster.sandbox.server import SandboxServer
from forecaster.sandbox.testing import running_sandbox
from forecaster.sandbox.tests.helpers import call, fetch_all


@pytest.fixture(scope="module")
def sb():
    with running_sandbox(invoices=400, seed=5) as server:
        yield server


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def test_defaults_are_offset_0_and_25_rows(sb, client):
    body = call(sb, client=client).json()
    assert body["result"] == "success"
    assert body["startnumber"] == 0
    assert body["numreturned"] == 25
    assert len(body["invoices"]["invoice"]) == 25
    assert body["totalresults"] == 400


@pytest.mark.parametrize("junk", ["0", "", "abc", "-5"])
def test_junk_limitnum_means_25(sb, client, junk):
    assert call(sb, client=client, limitnum=junk).json()["numreturned"] == 25


def test_limitstart_is_cast_like_php(sb, client):
    assert call(sb, client=client, limitstart="abc").json()["startnumber"] == 0
    assert call(sb, client=client, limitstart="7xyz").json()["startnumber"] == 7


def test_limitnum_has_no_cap(sb, client):
    body = call(sb, client=client, limitnum=10_000).json()
    assert body["numreturned"] == 400


def test_past_the_end_is_success_with_empty_list(sb, client):
    response = call(sb, client=client, limitstart=10_000)
    assert response.status_code == 200
    assert response.json() == {
        "result": "success", "totalresults": 400, "startnumber": 10_000, "numreturned": 0,
        "invoices": [],
    }  # fmt: skip


def test_unknown_status_is_an_empty_success(sb, client):
    body = call(sb, client=client, status="Nonsense").json()
    assert (body["totalresults"], body["numreturned"], body["invoices"]) == (0, 0, [])


def test_xml_is_the_default_response_type(sb, client):
    response = call(sb, client=client, responsetype=None, limitnum=3)
    assert response.status_code == 200
    assert response.text.startswith('<?xml version="1.0"')
    root = ET.fromstring(response.content)
    assert root.tag == "whmcsapi"
    assert root.find("action").text == "getinvoices"
    assert root.find("result").text == "success"
    invoices = root.findall("invoices/invoice")
    assert len(invoices) == 3
    assert invoices[0].find("currencysuffix").text == " USD"


def test_xml_empty_list(sb, client):
    root = ET.fromstring(call(sb, client=client, responsetype="XML", limitstart=9999).content)
    assert root.find("numreturned").text == "0"
    assert root.find("invoices") is not None and len(root.find("invoices")) == 0


def test_json_types_match_whmcs_8(sb, client):
    body = call(sb, client=client, limitnum=400).json()
    for key in ("totalresults", "startnumber", "numreturned"):
        assert type(body[key]) is int
    for inv in body["invoices"]["invoice"]:
        assert type(inv["id"]) is int and type(inv["userid"]) is int
        for key in ("subtotal", "credit", "tax", "tax2", "total"):
            whole, frac = inv[key].split(".")
            assert whole.lstrip("-").isdigit() and len(frac) == 2
        for key in ("taxrate", "taxrate2"):
            assert len(inv[key].split(".")[1]) == 3
        assert inv["paymethodid"] is None or type(inv["paymethodid"]) is int
        assert inv["currencysuffix"] == " USD" and inv["currencyprefix"] == "$"
        assert inv["status"] in STATUSES
        if inv["status"] in ("Unpaid", "Draft", "Cancelled", "Payment Pending"):
            assert inv["datepaid"] == "0000-00-00 00:00:00"
            assert inv["invoicenum"] == ""
        else:
            assert inv["invoicenum"].startswith("FV/")


def test_field_order_is_whmcs_order(sb, client):
    inv = call(sb, client=client, limitnum=1).json()["invoices"]["invoice"][0]
    assert list(inv) == [
        "id", "userid", "firstname", "lastname", "companyname", "invoicenum", "date",
        "duedate", "datepaid", "last_capture_attempt", "date_refunded", "date_cancelled",
        "subtotal", "credit", "tax", "tax2", "total", "taxrate", "taxrate2", "status",
        "paymentmethod", "paymethodid", "notes", "created_at", "updated_at", "currencycode",
        "currencyprefix", "currencysuffix",
    ]  # fmt: skip


def test_json_escapes_like_php(sb, client):
    # json_encode's defaults: "\/" and \u escapes. Any JSON parser reads them back.
    text = call(sb, client=client, status="Paid", limitnum=5).text
    assert "\\/" in text and "FV/" not in text
    assert text.isascii()


def test_fast_json_path_equals_generic_rendering(sb, client):
    rendered = call(sb, client=client, limitnum=400, orderby="id").json()["invoices"]["invoice"]
    assert rendered == [sb.state.invoice(inv["id"]) for inv in rendered]
    assert json.loads(json.dumps(rendered)) == rendered


def test_paging_by_id_sees_every_invoice_once(sb, client):
    seen = fetch_all(sb, client, step=37, orderby="id", order="asc")
    ids = [inv["id"] for inv in seen]
    assert ids == sorted(ids) == sb.state.ids()


def test_paid_filter_by_id_matches_paid_invoices(sb, client):
    seen = fetch_all(sb, client, status="Paid", orderby="id")
    assert [inv["id"] for inv in seen] == sorted(sb.paid_invoices())
    expected = sb.paid_invoices()
    for inv in seen:
        assert str(expected[inv["id"]]["total"]) == inv["total"]


def test_order_desc_by_id(sb, client):
    ids = [i["id"] for i in fetch_all(sb, client, orderby="id", order="desc")]
    assert ids == sorted(sb.state.ids(), reverse=True)


def test_any_order_other_than_desc_is_asc(sb, client):
    a = call(sb, client=client, orderby="id", order="sideways").json()["invoices"]["invoice"]
    assert [i["id"] for i in a] == sb.state.ids()[:25]


@pytest.mark.parametrize("status", [*STATUSES])
def test_each_status_filter(sb, client, status):
    body = call(sb, client=client, status=status, limitnum=1000).json()
    expected = sb.state.ids(status)
    assert body["totalresults"] == len(expected)
    got = body["invoices"]["invoice"] if expected else body["invoices"]
    assert sorted(i["id"] for i in got) == expected
    assert all(i["status"] == status for i in got)


def test_generated_data_has_every_status():
    with running_sandbox(invoices=3000, seed=2) as sb:
        assert all(sb.state.ids(status) for status in STATUSES)


def test_overdue_is_unpaid_and_due_before_today(sb, client):
    body = call(sb, client=client, status="Overdue", limitnum=1000).json()
    today = sb.state.spec.today.isoformat()
    got = body["invoices"]["invoice"] if body["numreturned"] else []
    assert body["totalresults"] == len(got) > 0
    assert all(i["status"] == "Unpaid" and i["duedate"] < today for i in got)
    unpaid = call(sb, client=client, status="Unpaid", limitnum=1000).json()["invoices"]["invoice"]
    assert {i["id"] for i in got} == {i["id"] for i in unpaid if i["duedate"] < today}


def test_userid_filter(sb, client):
    userid = sb.state.invoice(sb.state.ids()[0])["userid"]
    got = fetch_all(sb, client, userid=userid, orderby="id")
    assert got and all(i["userid"] == userid for i in got)
    everything = fetch_all(sb, client, orderby="id")
    assert len(got) == sum(1 for i in everything if i["userid"] == userid)


def test_default_order_is_status_desc_then_duedate(sb, client):
    rows = call(sb, client=client, limitnum=1000).json()["invoices"]["invoice"]
    keys = [(i["status"], i["duedate"]) for i in rows]
    # status descending, and within one status duedate ascending
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
    for status in {k[0] for k in keys}:
        dues = [k[1] for k in keys if k[0] == status]
        assert dues == sorted(dues)
    assert rows[0]["status"] == "Unpaid"  # "Unpaid" sorts last, so first when descending


def test_default_order_has_ties(sb, client):
    rows = call(sb, client=client, limitnum=1000).json()["invoices"]["invoice"]
    keys = [(i["status"], i["duedate"]) for i in rows]
    assert len(set(keys)) < len(keys)  # not a total order: paging on it is unsafe


@pytest.mark.parametrize(
    ("orderby", "key"),
    [
        ("date", lambda i: i["date"]),
        ("duedate", lambda i: i["duedate"]),
        ("total", lambda i: float(i["total"])),  # comparison only, never money maths
        ("status", lambda i: i["status"]),
        ("invoicenumber", lambda i: i["invoicenum"]),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_orderby_columns(sb, client, orderby, key, order):
    rows = call(sb, client=client, limitnum=1000, orderby=orderby, order=order).json()
    values = [key(i) for i in rows["invoices"]["invoice"]]
    assert values == sorted(values, reverse=order == "desc")


def test_orderby_invoicenumber_is_a_string_sort():
    spec = DatasetSpec(invoices=0, paid_number_format="INV-{NUMBER}", number_width=0)
    with SandboxServer(generate(spec), port=0) as sb:
        for _ in range(12):
            sb.state.add_invoice(status="Paid")
        rows = call(sb, limitnum=1000, orderby="invoicenumber").json()["invoices"]["invoice"]
        nums = [i["invoicenum"] for i in rows]
        assert nums[:4] == ["INV-1", "INV-10", "INV-11", "INV-12"]  # INV-10 < INV-9
        assert [i["id"] for i in rows] == [1, 10, 11, 12, 2, 3, 4, 5, 6, 7, 8, 9]


def test_orphans_count_in_totalresults_but_are_never_returned(client):
    with running_sandbox(invoices=100, orphans=7, seed=3) as sb:
        body = call(sb, client=client, limitnum=1000).json()
        assert body["totalresults"] == 107
        assert body["numreturned"] == 100
        # A client looping "until limitstart >= totalresults" sees only 100 ids; stop on an
        # empty page instead.
        assert len(fetch_all(sb, client)) == 100
        paid = call(sb, client=client, status="Paid", limitnum=1000).json()
        assert paid["totalresults"] == len(sb.state.ids("Paid", include_orphans=True))
        assert paid["numreturned"] == len(sb.state.ids("Paid")) == len(sb.paid_invoices())
        assert paid["totalresults"] > paid["numreturned"]  # seed 3 puts paid orphans in
        slow = call(sb, client=client, status="Paid", orderby="date", limitnum=1000).json()
        assert (slow["totalresults"], slow["numreturned"]) == (
            paid["totalresults"], paid["numreturned"],
        )  # fmt: skip


def test_deleting_a_client_makes_orphans(client):
    with running_sandbox(invoices=200, seed=4) as sb:
        userid = sb.state.invoice(sb.state.ids()[0])["userid"]
        before = call(sb, client=client).json()["totalresults"]
        orphaned = sb.state.delete_client(userid)
        assert orphaned > 0
        body = call(sb, client=client, limitnum=1000).json()
        assert body["totalresults"] == before
        assert body["numreturned"] == before - orphaned
        assert call(sb, client=client, userid=userid).json()["numreturned"] == 0
        assert call(sb, client=client, userid=userid).json()["totalresults"] == orphaned


def test_currency_option_and_suffix_leading_space(client):
    with running_sandbox(invoices=50, currency="EUR") as sb:
        inv = call(sb, client=client, limitnum=1).json()["invoices"]["invoice"][0]
        assert (inv["currencycode"], inv["currencyprefix"], inv["currencysuffix"]) == (
            "EUR", "€", " EUR",
        )  # fmt: skip


def test_mixed_currencies_only_when_asked(client):
    with running_sandbox(invoices=600, currency="PLN") as sb:
        codes = {i["currencycode"] for i in fetch_all(sb, client)}
        assert codes == {"PLN"}
    with running_sandbox(invoices=600, currency="PLN", mixed_currencies=True) as sb:
        invoices = fetch_all(sb, client)
        codes = {i["currencycode"] for i in invoices}
        assert codes == {"PLN", "EUR"}
        assert sum(i["currencycode"] == "PLN" for i in invoices) > len(invoices) / 2
        assert {i["currencysuffix"] for i in invoices} == {" PLN", " EUR"}


def test_legacy_strings_mode(client):
    with running_sandbox(invoices=20, legacy_strings=True) as sb:
        body = call(sb, client=client, limitnum=2).json()
        assert body["totalresults"] == "20" and body["numreturned"] == "2"
        inv = body["invoices"]["invoice"][0]
        assert all(isinstance(v, str) for v in inv.values())


def test_action_name_is_case_and_punctuation_insensitive(sb, client):
    for spelling in ("getinvoices", "GETINVOICES", "Get-Invoices"):
        assert call(sb, client=client, action=spelling).json()["result"] == "success"


def test_get_with_query_string_also_works(sb):
    params = {
        "action": "GetInvoices", "identifier": sb.identifier, "secret": sb.secret,
        "responsetype": "json", "limitnum": 3,
    }  # fmt: skip
    response = httpx.get(sb.url, params=params)
    assert response.json()["numreturned"] == 3


def test_json_request_body_is_not_read(sb):
    # WHMCS reads form fields only: a JSON body looks like a request without credentials.
    response = httpx.post(
        sb.url, json={"action": "GetInvoices", "identifier": sb.identifier, "secret": sb.secret}
    )
    assert response.status_code == 403
    assert response.text == "result=error;message=Invalid or missing credentials"


def test_get_invoice_and_its_status_quirk(client):
    with running_sandbox(invoices=20, permissions=["getinvoices", "getinvoice"]) as sb:
        first = sb.state.ids("Paid")[0]
        body = call(sb, client=client, action="GetInvoice", invoiceid=first).json()
        assert body["result"] == "success" and body["invoiceid"] == first
        assert body["balance"] == "0.00"
        # Its payment: one transaction of the total (none when it was paid from credit).
        total = sb.state.invoice(first)["total"]
        if total == "0.00":
            assert body["transactions"] == ""
        else:
            assert [t["amountin"] for t in body["transactions"]["transaction"]] == [total]
        missing = call(sb, client=client, action="GetInvoice", invoiceid=999_999)
        assert missing.status_code == 200
        assert missing.json() == {"status": "error", "message": "Invoice ID Not Found"}


def test_dates_sit_in_the_configured_years():
    with running_sandbox(invoices=500, today=date(2024, 6, 30)) as sb:
        invoices = fetch_all(sb, httpx.Client())
        assert max(i["date"] for i in invoices) <= "2024-06-30"
        assert min(i["date"] for i in invoices) >= "2019-06-30"
        assert len({i["date"][:4] for i in invoices}) >= 5
