"""Programmable faults, drift hooks and the request log, through real HTTP."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from forecaster.sandbox.faults import churn
from forecaster.sandbox.testing import running_sandbox
from forecaster.sandbox.tests.helpers import call


@pytest.fixture
def sb():
    with running_sandbox(invoices=300, seed=2) as server:
        yield server


def test_every_kth_call_fails_with_5xx(sb):
    sb.controls.fail_every = 3
    statuses = [call(sb).status_code for _ in range(7)]
    assert statuses == [200, 200, 500, 200, 200, 500, 200]


def test_fail_status_is_configurable(sb):
    sb.controls.fail_every, sb.controls.fail_status = 1, 502
    assert call(sb).status_code == 502


def test_html_error_page(sb):
    sb.controls.html_every = 2
    call(sb)
    response = call(sb)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.lstrip().startswith("<!DOCTYPE html>")
    sb.controls.html_status = 200  # a WAF page or a wrong URL answering HTML with 200
    call(sb)
    assert call(sb).status_code == 200


def test_truncated_body(sb):
    sb.controls.truncate_every = 1
    response = call(sb)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert response.content.startswith(b'{"result":"success"')


def test_fail_next_queue_then_normal(sb):
    sb.controls.fail_next("status", times=2)
    sb.controls.fail_next("truncate")
    assert [call(sb).status_code for _ in range(2)] == [500, 500]
    with pytest.raises(json.JSONDecodeError):
        call(sb).json()
    assert call(sb).json()["result"] == "success"


def test_dropped_connection(sb):
    sb.controls.fail_next("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        call(sb)
    assert call(sb).json()["result"] == "success"
    assert [r.status for r in sb.requests.records] == [0, 200]


def test_unknown_fault_kind_is_refused(sb):
    with pytest.raises(ValueError, match="unknown fault"):
        sb.controls.fail_next("explode")


def test_latency(sb):
    call(sb)
    sb.controls.latency_ms = 150
    started = time.perf_counter()
    call(sb)
    assert time.perf_counter() - started >= 0.15


def test_reset(sb):
    sb.controls.fail_every = 1
    sb.controls.reset()
    assert call(sb).status_code == 200


def test_hook_runs_before_each_getinvoices_answer(sb):
    calls = []

    def hook(state, params):
        calls.append(params["limitstart"])
        state.refund(state.ids("Paid")[0])

    sb.controls.before_getinvoices = hook
    before = len(sb.state.ids("Paid"))
    body = call(sb, status="Paid", limitstart=0).json()
    assert calls == ["0"]
    assert body["totalresults"] == before - 1  # the answer already sees the change


def test_hook_not_run_for_refused_calls(sb):
    calls = []
    sb.controls.before_getinvoices = lambda state, params: calls.append(1)
    call(sb, secret="wrong")
    assert calls == []


def test_churn_shifts_pages_like_a_live_install(sb):
    # An invoice leaving Paid below the offset shifts later pages: a naive pager skips rows.
    sb.controls.before_getinvoices = churn(pay=0, refund=1, seed=4)
    seen, start = [], 0
    while True:
        body = call(sb, status="Paid", orderby="id", limitstart=start, limitnum=50).json()
        if not body["numreturned"]:
            break
        seen += [i["id"] for i in body["invoices"]["invoice"]]
        start += 50
    still_paid = set(sb.paid_invoices())
    assert still_paid - set(seen)  # some rows were never seen


def test_churn_is_deterministic():
    results = []
    for _ in range(2):
        with running_sandbox(invoices=200, seed=1) as sb:
            sb.controls.before_getinvoices = churn(pay=2, refund=2, seed=7)
            for _ in range(3):
                call(sb, status="Paid")
            results.append(sorted(sb.paid_invoices()))
    assert results[0] == results[1]


def test_request_log_counts_and_keeps_the_query_string_apart(sb):
    with httpx.Client() as client:
        for _ in range(4):
            call(sb, client=client)
        client.get(sb.url, params={"action": "GetInvoices", "secret": "in-the-url"})
    assert sb.requests.count == 5
    assert sb.requests.count_action("GetInvoices") == 5
    records = sb.requests.records
    assert all(r.method == "POST" and r.query == "" for r in records[:4])
    assert "secret" in records[0].params
    assert records[4].method == "GET" and "secret=in-the-url" in records[4].query
    assert records[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert records[0].client_ip == "127.0.0.1"
    sb.requests.clear()
    assert sb.requests.count == 0 and sb.requests.records == []


def test_pages_outside_the_api_are_not_counted(sb):
    root = sb.url.removesuffix("/includes/api.php")
    home = httpx.get(root + "/")
    assert home.status_code == 200 and "<html" in home.text
    assert httpx.get(root + "/nope").status_code == 404
    assert httpx.post(root + "/includes/api.php/extra").status_code == 404
    assert sb.requests.count == 0


def test_retry_after_header_on_faults(sb):
    sb.controls.fail_status, sb.controls.retry_after = 429, 7
    sb.controls.fail_next("status")
    response = call(sb)
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert "retry-after" not in call(sb).headers


def test_churn_can_cancel_and_delete(sb):
    paid, unpaid = len(sb.state.ids("Paid")), len(sb.state.ids("Unpaid"))
    sb.controls.before_getinvoices = churn(pay=0, refund=0, cancel=1, delete=2, seed=1)
    body = call(sb, status="Paid").json()
    assert body["totalresults"] == paid - 2
    assert len(sb.state.ids("Unpaid")) == unpaid - 1
