"""Revenue as WHMCS books it: deposits, mass payments, partial and full refunds, chargebacks.

Each case against the sandbox over real HTTP, read through the CLI (`report revenue --format
json`) and the JSON API, compared to the cent with the sandbox's own truth
(``revenue_truth``), on both bases.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from forecaster.accounts.models import ApiToken
from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.sync.models import InvoiceDetail, Refund, ReturnedInvoice
from tests.builders import assert_exact, make_system

ALL = ["getinvoices", "getinvoice", "gettransactions"]
CASES = {"deposits": 4, "mass_payments": 4, "partial_refunds": 5, "full_refunds": 4, "chargebacks": 4}


def cli_report(basis: str = "invoice", by: str = "month") -> dict[str, tuple[Decimal, Decimal]]:
    out = io.StringIO()
    call_command("report", "revenue", "--by", by, "--basis", basis, "--format", "json", stdout=out)
    data = json.loads(out.getvalue(), parse_float=Decimal)
    return {r["period"]: (Decimal(r["net"]), Decimal(r["tax"])) for r in data["rows"]}


def api_report(basis: str = "invoice", by: str = "month") -> dict[str, tuple[Decimal, Decimal]]:
    _row, token = ApiToken.issue("test")
    r = Client().get(f"/api/revenue?by={by}&basis={basis}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    data = json.loads(r.content, parse_float=Decimal)
    return {row["period"]: (Decimal(row["net"]), Decimal(row["tax"])) for row in data["rows"]}


def truth(sb, basis: str = "invoice", by: str = "month") -> dict[str, tuple[Decimal, Decimal]]:
    """The sandbox's own revenue (one currency), periods whose revenue is not zero."""
    out = {}
    for (period, _currency), (net, tax) in sb.revenue_truth(basis=basis, by=by).items():
        if net or tax or period in out:
            out[period] = (net, tax)
    return out


def nonzero(report: dict) -> dict:
    return {p: v for p, v in report.items() if v != (Decimal("0.00"), Decimal("0.00"))}


def assert_truth(sb) -> None:
    for basis in ("invoice", "paid"):
        expected = nonzero(truth(sb, basis))
        assert nonzero(cli_report(basis)) == expected, basis
        assert nonzero(api_report(basis)) == expected, basis


def test_every_case_is_booked_as_whmcs_books_it(db):
    with running_sandbox(invoices=400, seed=9, permissions=ALL, **CASES) as sb:
        system = make_system(sb, step=50)
        run = run_sync(system, "full", "cli")
        assert run.status == "succeeded", run.error_message
        assert_exact(system, sb)  # the paid invoices themselves, as before
        assert_truth(sb)
        kinds = dict(InvoiceDetail.objects.values_list("whmcs_id", "kind"))
        deposits = [i for i, k in sb.state.kinds.items() if k[0] == "AddFunds"]
        masses = [i for i, k in sb.state.kinds.items() if k[0] == "Invoice"]
        assert {kinds[i] for i in deposits} == {"deposit"} and {kinds[i] for i in masses} == {"mass_payment"}
        assert Refund.objects.exists() and ReturnedInvoice.objects.filter(status="Collections").exists()

        # An everyday sync with nothing new: the paid check and one GetTransactions.
        before = sb.requests.count
        again = run_sync(system, "incremental", "cli")
        assert again.status == "succeeded", again.error_message
        assert sb.requests.count - before == again.requests <= 4

        # New refunds land in the month they happen; the month each invoice was earned in stays.
        month = cli_report()
        paid = [i for i in sb.state.ids("Paid") if i not in sb.state.kinds]
        whole, part, reversed_ = [i for i in paid if sb.state.invoice(i)["total"] != "0.00"][:3]
        when = datetime(2026, 11, 22, 10, 0)
        sb.state.refund(whole, when=when)
        sb.state.refund(part, when=when, amount="1.00")
        sb.state.chargeback(reversed_, when=when)
        run = run_sync(system, "incremental", "cli")
        assert run.status == "succeeded", run.error_message
        assert_truth(sb)
        after = cli_report()
        assert {p: v for p, v in after.items() if p != "2026-11"} == {
            p: v for p, v in month.items() if p != "2026-11"
        }
        assert after["2026-11"][0] < month["2026-11"][0]


def test_without_get_transactions_get_invoice_reads_full_refunds_and_chargebacks(db):
    cases = {**CASES, "partial_refunds": 0}
    with running_sandbox(invoices=300, seed=5, permissions=["getinvoices", "getinvoice"], **cases) as sb:
        system = make_system(sb, step=40)
        run = run_sync(system, "full", "cli")
        assert run.status == "succeeded", run.error_message
        assert_truth(sb)
        fetched = sb.requests.count
        again = run_sync(system, "incremental", "cli")
        assert again.status == "succeeded", again.error_message
        # Nothing new: the paid check and one request per returned status; GetInvoice is not
        # asked again for invoices already read.
        assert sb.requests.count - fetched == again.requests <= 4
        sb.state.refund(sb.state.ids("Paid")[-3], when=datetime(2026, 11, 22, 10, 0))
        run_sync(system, "incremental", "cli")
        assert_truth(sb)


def test_with_get_invoices_only_revenue_is_the_paid_invoices_and_says_what_it_cannot_see(db, admin_client):
    with running_sandbox(invoices=300, seed=5, **CASES) as sb:
        system = make_system(sb, step=40)
        run = run_sync(system, "full", "cli")
        assert run.status == "succeeded", run.error_message
        assert_exact(system, sb)
        system.refresh_from_db()
        assert system.api_actions == "getinvoices"
        total = sum(
            (v["subtotal"] + v["tax"] + v["tax2"] for v in sb.paid_invoices().values()), Decimal("0.00")
        )
        report = cli_report(by="year")
        assert sum((n + t for n, t in report.values()), Decimal("0.00")) == total
        assert not (InvoiceDetail.objects.exists() or Refund.objects.exists())
        page = admin_client.get("/systems/").content.decode()
        assert "GetInvoice" in page and "mass payments" in page
        assert "GetInvoice" in admin_client.get("/reports/revenue/").content.decode()


def test_refunds_can_restate_the_original_month(db):
    with running_sandbox(invoices=300, seed=9, permissions=ALL, full_refunds=3, partial_refunds=3) as sb:
        system = make_system(sb, step=50)
        run_sync(system, "full", "cli")
        in_own_period = cli_report()
        call_command("systems", "edit", str(system.pk), "--refunds-restate", stdout=io.StringIO())
        system.refresh_from_db()
        assert system.refunds_restate
        restated = cli_report()
        total = sum((n + t for n, t in in_own_period.values()), Decimal("0.00"))
        assert sum((n + t for n, t in restated.values()), Decimal("0.00")) == total
        assert restated != in_own_period
        # Restated, a refunded invoice's month is what it would be without the invoice.
        for refund in Refund.objects.all():
            assert refund.invoice_date.strftime("%Y-%m") in restated


@pytest.mark.parametrize("basis", ["invoice", "paid"])
def test_the_sums_over_all_periods_reconcile_with_the_money(db, basis):
    with running_sandbox(invoices=200, seed=2, permissions=ALL, **CASES) as sb:
        system = make_system(sb, step=50)
        run_sync(system, "full", "cli")
        ours = sum((n + t for n, t in cli_report(basis, by="year").values()), Decimal("0.00"))
        expected = sum((n + t for n, t in truth(sb, basis, by="year").values()), Decimal("0.00"))
        assert ours == expected
