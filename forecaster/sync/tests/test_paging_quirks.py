"""Paging that cannot lie: capped pages, WHMCS before 7.7 and the JSON encoding error, each
against the sandbox over real HTTP, ending exact or failing with the WHMCS version to get."""

from __future__ import annotations

import io
import math

import pytest
from django.core.management import call_command

from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.systems.whmcs import client as whmcs_client
from tests.builders import assert_exact, make_system


def test_a_capped_page_size_is_not_the_end_of_the_data(db):
    with running_sandbox(invoices=300, seed=4, page_cap=30) as sb:
        system = make_system(sb, step=100)
        run = run_sync(system, "full", "cli")
        assert run.status == "succeeded", run.error_message
        assert_exact(system, sb)
        assert "at most 30 invoices per request" in run.note
        # The cap is learnt once, then asked for directly: no request is wasted on it after.
        assert run.requests <= len(sb.paid_invoices()) // 29 + 6
        # A full sync's step asks Step + 1 rows (the overlap), so the advice is cap − 1.
        assert "Set Step to 29 or less" in run.note
        system.step = 29
        system.save()
        # With the Step the note advises, each step of a full sync is one request ...
        full = run_sync(system, "full", "cli")
        assert full.status == "succeeded", full.error_message
        assert full.requests <= math.ceil(len(sb.paid_invoices()) / 29) + 2
        # ... and an everyday sync with nothing new stays cheap.
        again = run_sync(system, "incremental", "cli")
        assert again.status == "succeeded" and again.requests <= 3
        for invoice_id in sb.state.ids("Unpaid")[:3]:
            sb.state.pay(invoice_id)
        run_sync(system, "incremental", "cli")
        assert_exact(system, sb)


def test_whmcs_before_7_7_is_read_in_one_answer_when_it_fits(db):
    with running_sandbox(invoices=400, seed=6, ignore_orderby=True) as sb:
        system = make_system(sb, step=50)
        run = run_sync(system, "full", "cli")
        assert run.status == "succeeded", run.error_message
        assert_exact(system, sb)
        assert "WHMCS 7.7" in run.note
        sb.state.refund(sb.state.ids("Paid")[5])
        again = run_sync(system, "incremental", "cli")
        assert again.status == "succeeded", again.error_message
        assert_exact(system, sb)


def test_whmcs_before_7_7_with_too_many_invoices_fails_naming_the_version(db, monkeypatch):
    monkeypatch.setattr(whmcs_client, "SINGLE_READ_MAX", 100)
    with running_sandbox(invoices=400, seed=6, ignore_orderby=True) as sb:
        system = make_system(sb, step=50)
        run = run_sync(system, "full", "cli")
        assert run.status == "failed" and run.error_class == "OrderIgnored"
        assert "7.7" in run.error_message and "Upgrade WHMCS to version 7.7" in run.error_fix
        assert not system.invoices.exists()  # never "done" with invoices missing


def test_a_page_whmcs_cannot_encode_as_json_is_read_as_xml(db):
    with running_sandbox(invoices=200, seed=2, malformed_utf8_invoices=[40]) as sb:
        system = make_system(sb, step=25)
        out = io.StringIO()
        call_command("sync", str(system.pk), "--full", stdout=out, stderr=io.StringIO())
        run = system.sync_runs.first()
        assert run.status == "succeeded", run.error_message
        assert_exact(system, sb)
        assert "read as XML" in run.note
        xml_calls = [r for r in sb.requests.records if r.params.get("responsetype") == "xml"]
        assert xml_calls  # and after the first failure, no JSON request is wasted on it again
        failed_json = [
            r
            for r in sb.requests.records
            if r.params.get("responsetype") == "json" and r.number > xml_calls[0].number
        ]
        assert failed_json == []


@pytest.mark.parametrize("cap", [1])
def test_one_row_per_answer_cannot_be_paged(db, cap):
    with running_sandbox(invoices=50, seed=2, page_cap=cap) as sb:
        system = make_system(sb, step=10)
        run = run_sync(system, "full", "cli")
        assert run.status == "failed" and run.error_class == "PagingUnsupported"
