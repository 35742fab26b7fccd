"""The WHMCS client against an httpx.MockTransport: parsing, classification, retries (R13)."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from forecaster.systems import errors
from forecaster.systems.whmcs.client import RetryPolicy, WhmcsClient

URL = "https://billing.example/includes/api.php"
CANARY = "canary-secret-5b1f0c"


def ok_body(n=1, total=None, start=0, invoices=None):
    if invoices is None:
        invoices = {"invoice": [{"id": i + 1, "subtotal": "10.00", "total": "12.30"} for i in range(n)]}
    return {
        "result": "success",
        "totalresults": total if total is not None else n,
        "startnumber": start,
        "numreturned": n,
        "invoices": invoices,
    }


def js(body, status=200, **headers):
    return httpx.Response(status, json=body, headers=headers)


def html(status=200, text="<!doctype html><html><body>Hello</body></html>", **headers):
    return httpx.Response(status, text=text, headers={"content-type": "text/html", **headers})


class Fake:
    """A sequence of canned answers; records every request it receives."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(fake, **kw):
    sleeps: list[float] = []
    kw.setdefault("retry", RetryPolicy(jitter=0))
    c = WhmcsClient(URL, "ident", CANARY, transport=httpx.MockTransport(fake), sleep=sleeps.append, **kw)
    return c, sleeps


# --- requests ------------------------------------------------------------------------------------


def test_credentials_travel_only_in_the_form_encoded_body():
    fake = Fake(js(ok_body()))
    c, _ = client(fake)
    c.get_invoices(limitstart=50, limitnum=25)
    req = fake.requests[0]
    assert req.method == "POST"
    assert CANARY not in str(req.url)
    assert req.url.query == b""
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.headers["user-agent"].startswith("CommitmentForecaster/")
    form = {k: v[0] for k, v in parse_qs(req.content.decode()).items()}
    assert form == {
        "identifier": "ident",
        "secret": CANARY,
        "responsetype": "json",
        "action": "GetInvoices",
        "orderby": "id",
        "order": "asc",
        "limitstart": "50",
        "limitnum": "25",
        "status": "Paid",
    }


def test_status_none_asks_for_every_status():
    fake = Fake(js(ok_body()))
    c, _ = client(fake)
    c.get_invoices(status=None)
    assert "status" not in parse_qs(fake.requests[0].content.decode())


def test_repr_hides_the_secret():
    c, _ = client(Fake(js(ok_body())))
    assert CANARY not in repr(c)


# --- parsing ---------------------------------------------------------------------------------------


def test_page_counters_and_decimal_amounts():
    fake = Fake(
        httpx.Response(
            200,
            content=b'{"result":"success","totalresults":"7","startnumber":"5",'
            b'"numreturned":"2","invoices":{"invoice":[{"id":6,"total":12.3},'
            b'{"id":"7","total":"1.10"}]}}',
            headers={"content-type": "application/json"},
        )
    )
    c, _ = client(fake)
    page = c.get_invoices(limitstart=5)
    assert (page.total, page.start, page.returned) == (7, 5, 2)
    assert page.records[0]["total"] == Decimal("12.3")
    assert isinstance(page.records[0]["total"], Decimal)


@pytest.mark.parametrize("invoices", ["", [], {}, None, {"invoice": []}, {"invoice": ""}])
def test_empty_invoice_shapes_mean_no_rows(invoices):
    body = ok_body(0, total=3, invoices=invoices)
    c, _ = client(Fake(js(body)))
    page = c.get_invoices()
    assert page.records == [] and page.total == 3


def test_missing_invoices_key_is_no_rows():
    body = ok_body(0)
    del body["invoices"]
    c, _ = client(Fake(js(body)))
    assert c.get_invoices().records == []


def test_single_invoice_object_is_a_list_of_one():
    body = ok_body(1, invoices={"invoice": {"id": 9}})
    c, _ = client(Fake(js(body)))
    assert c.get_invoices().records == [{"id": 9}]


def test_status_key_instead_of_result_is_accepted():
    body = ok_body()
    body["status"] = body.pop("result")
    c, _ = client(Fake(js(body)))
    assert c.get_invoices().returned == 1


def test_json_sent_as_text_html_is_still_json():
    answer = httpx.Response(200, text=json.dumps(ok_body()), headers={"content-type": "text/html"})
    c, _ = client(Fake(answer))
    assert c.get_invoices().returned == 1


@pytest.mark.parametrize("missing", ["totalresults", "numreturned"])
def test_missing_envelope_field_is_format_changed(missing):
    body = ok_body()
    del body[missing]
    fake = Fake(js(body))
    c, _ = client(fake)
    with pytest.raises(errors.ResponseFormatChanged):
        c.get_invoices()
    assert len(fake.requests) == 1


def test_rows_announced_but_absent_is_format_changed():
    c, _ = client(Fake(js(ok_body(2, invoices={"bills": [1, 2]}))))
    with pytest.raises(errors.ResponseFormatChanged):
        c.get_invoices()


# --- classification and retries (R13) -------------------------------------------------------------

SETUP_CASES = [
    (js({"result": "error", "message": "Invalid or missing credentials"}, 403), errors.AuthenticationFailed),
    (js({"result": "error", "message": "Authentication Failed"}, 403), errors.AuthenticationFailed),
    (js({"result": "error", "message": "Invalid IP 203.0.113.9"}, 403), errors.IpNotAllowed),
    (js({"result": "error", "message": "IP Banned"}, 403), errors.IpBanned),
    (
        js(
            {"result": "error", "message": 'Invalid Permissions: API action "getinvoices" is not allowed'},
            403,
        ),
        errors.PermissionMissing,
    ),
    (js({"status": "error", "message": "Something else"}), errors.WhmcsError),
    (js({"result": "maybe"}), errors.ResponseFormatChanged),
    (html(200), errors.NotAnApi),
    (html(404), errors.NotAnApi),
    (html(403, text="<html>Attention Required! | Cloudflare</html>"), errors.NotAnApi),
    (httpx.Response(301, headers={"location": "https://billing.example/includes/api.php"}), errors.NotAnApi),
    (
        httpx.Response(
            200, text="<?xml version='1.0'?><whmcsapi></whmcsapi>", headers={"content-type": "text/xml"}
        ),
        errors.NotAnApi,
    ),
    (httpx.Response(400, json={"result": "error", "message": "Empty action request"}), errors.WhmcsError),
    (
        httpx.Response(
            403, text="result=error;message=Invalid IP 198.51.100.4", headers={"content-type": "text/plain"}
        ),
        errors.IpNotAllowed,
    ),
]


@pytest.mark.parametrize(("answer", "error_class"), SETUP_CASES)
def test_setup_errors_are_never_retried(answer, error_class):
    fake = Fake(answer)
    c, sleeps = client(fake)
    with pytest.raises(error_class) as info:
        c.get_invoices()
    assert len(fake.requests) == 1 and c.requests_made == 1 and sleeps == []
    assert info.value.retryable is False
    assert info.value.message and info.value.fix
    assert CANARY not in info.value.one_line()


TRANSIENT_CASES = [
    (httpx.Response(502, text="Bad gateway"), errors.ServerError),
    (html(503), errors.ServerError),
    (js({"result": "error", "message": "db down"}, 500), errors.ServerError),
    (httpx.Response(429, text=""), errors.ServerError),
    (
        httpx.Response(
            200, content=b'{"result":"success","totalres', headers={"content-type": "application/json"}
        ),
        errors.BadResponse,
    ),
    (httpx.ConnectTimeout("timed out"), errors.RemoteTimeout),
    (httpx.ReadTimeout("timed out"), errors.RemoteTimeout),
    (httpx.RemoteProtocolError("Server disconnected"), errors.BadResponse),
    (httpx.ConnectError("refused", request=None), errors.Unreachable),
]


@pytest.mark.parametrize(("answer", "error_class"), TRANSIENT_CASES)
def test_transient_errors_are_retried_then_raised(answer, error_class):
    fake = Fake(answer)
    c, sleeps = client(fake)
    with pytest.raises(error_class):
        c.get_invoices()
    assert len(fake.requests) == 4 and c.requests_made == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_transient_then_success_recovers():
    fake = Fake(httpx.Response(503, text="busy"), httpx.ReadTimeout("slow"), js(ok_body(3)))
    c, sleeps = client(fake)
    page = c.get_invoices()
    assert page.returned == 3
    assert c.requests_made == 3 and sleeps == [0.5, 1.0]


def test_retry_after_is_honoured():
    fake = Fake(httpx.Response(429, headers={"retry-after": "5"}), js(ok_body()))
    c, sleeps = client(fake)
    c.get_invoices()
    assert sleeps == [5.0]


def test_retry_budget_caps_total_waiting():
    fake = Fake(httpx.Response(429, headers={"retry-after": "120"}))
    c, sleeps = client(fake)
    with pytest.raises(errors.ServerError):
        c.get_invoices()
    assert c.requests_made == 1 and sleeps == []


def test_backoff_is_capped_and_jittered_down_only():
    policy = RetryPolicy(base_delay=1, max_delay=3, jitter=0.5)
    for attempt in range(1, 8):
        d = policy.delay(attempt)
        assert 0 < d <= 3


def test_no_retry_policy_means_one_request():
    fake = Fake(httpx.Response(503, text="busy"))
    c, sleeps = client(fake, retry=None)
    with pytest.raises(errors.ServerError):
        c.get_invoices()
    assert c.requests_made == 1 and sleeps == []


def test_redirect_http_to_https_names_the_fix():
    fake = Fake(httpx.Response(301, headers={"location": "https://billing.example/includes/api.php"}))
    c = WhmcsClient(
        "http://billing.example/includes/api.php", "i", CANARY, transport=httpx.MockTransport(fake)
    )
    result = c.test_connection()
    assert not result.ok and result.kind == "NotAnApi"
    assert "https://billing.example/includes/api.php" in result.fix
    assert result.warnings  # plain http is flagged


def test_ip_not_allowed_shows_the_ip_whmcs_saw():
    c, _ = client(Fake(js({"result": "error", "message": "Invalid IP 2001:db8::7"}, 403)))
    result = c.test_connection()
    assert result.kind == "IpNotAllowed"
    assert "2001:db8::7" in result.message and "API IP Access Restriction" in result.fix


def test_test_connection_is_one_request_without_retries_and_counts_paid():
    fake = Fake(js(ok_body(1, total=1234)))
    c, sleeps = client(fake)
    result = c.test_connection()
    assert result.ok and result.paid_invoices == 1234
    assert "1,234 paid invoices" in result.message
    form = parse_qs(fake.requests[0].content.decode())
    assert form["limitnum"] == ["1"] and form["status"] == ["Paid"]
    fake = Fake(httpx.Response(503, text="busy"))
    c, sleeps = client(fake)
    result = c.test_connection()
    assert not result.ok and c.requests_made == 1 and sleeps == []


def test_whmcs_error_text_never_echoes_the_secret():
    c, _ = client(Fake(js({"result": "error", "message": f"bad secret {CANARY}"})))
    with pytest.raises(errors.WhmcsError) as info:
        c.get_invoices()
    assert CANARY not in info.value.one_line()


def test_oversized_answer_is_refused():
    big = b'{"result":"success","x":"' + b"a" * (33 * 1024 * 1024) + b'"}'
    c, _ = client(
        Fake(httpx.Response(200, content=big, headers={"content-type": "application/json"})), retry=None
    )
    with pytest.raises(errors.BadResponse):
        c.get_invoices()


def xml(text, status=200):
    return httpx.Response(status, content=text, headers={"content-type": "text/xml"})


def test_xml_answers_are_read_including_their_error_messages():
    fake = Fake(
        xml(b"<?xml version='1.0'?><whmcsapi><action>getinvoices</action><result>error</result>"
            b"<message>Invalid IP 198.51.100.4</message></whmcsapi>", 403)
    )  # fmt: skip
    c, _ = client(fake)
    with pytest.raises(errors.IpNotAllowed) as caught:
        c.get_invoices()
    assert "198.51.100.4" in caught.value.message


def test_a_json_encoding_error_is_read_again_as_xml_with_lenient_bytes():
    encoding_error = js(
        {
            "result": "error",
            "message": "Error generating JSON encoded response: Malformed UTF-8 characters, "
            "possibly incorrectly encoded",
        }
    )
    page = (
        b"<?xml version='1.0'?><whmcsapi><action>getinvoices</action><result>success</result>"
        b"<totalresults>2</totalresults><startnumber>0</startnumber><numreturned>2</numreturned>"
        b"<invoices><invoice><id>1</id><lastname>M\xc3(ller</lastname><subtotal>10.00</subtotal></invoice>"
        b"<invoice><id>2</id><subtotal>5.50</subtotal></invoice></invoices></whmcsapi>"
    )
    fake = Fake(encoding_error, xml(page))
    c, _ = client(fake)
    got = c.get_invoices(limitnum=2)
    assert [r["id"] for r in got.records] == ["1", "2"] and got.total == 2
    assert [parse_qs(r.content.decode())["responsetype"] for r in fake.requests] == [["json"], ["xml"]]
    assert c.prefer_xml and "read as XML" in c.notes[0]


def test_an_xml_answer_with_a_doctype_is_refused():
    fake = Fake(
        xml(
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><whmcsapi><result>&a;</result></whmcsapi>"
        )
    )
    c, _ = client(fake, retry=None)
    with pytest.raises(errors.BadResponse):
        c.get_invoices()


def test_a_short_page_is_not_the_end_when_more_rows_follow():
    def rows(ids):
        return {"invoice": [{"id": i} for i in ids]}

    fake = Fake(
        js(ok_body(n=3, total=7, invoices=rows([1, 2, 3]))),  # asked 6, capped at 3
        js(ok_body(n=3, total=7, start=2, invoices=rows([3, 4, 5]))),  # overlap row 3, then 4, 5
        js(ok_body(n=2, total=7, start=4, invoices=rows([5, 6]))),  # overlap 5, then 6
    )
    c, _ = client(fake)
    got = c.get_invoices(limitstart=0, limitnum=6)
    assert [r["id"] for r in got.records] == [1, 2, 3, 4, 5, 6] and c.page_cap == 3
    # The end: totalresults counts a row WHMCS never returns; the next row does not exist.
    fake.answers = [
        js(ok_body(n=1, total=7, start=6, invoices=rows([7]))),
        js(ok_body(n=1, total=7, invoices=rows([7]))),
    ]
    tail = c.get_invoices(limitstart=6, limitnum=3)
    assert [r["id"] for r in tail.records] == [7]
