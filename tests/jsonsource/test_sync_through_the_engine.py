"""A second, test-only accounting-system type syncs through the unchanged engine."""

from __future__ import annotations

import io
import json
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from forecaster.sync.models import Invoice, SyncRun
from forecaster.systems import registry
from forecaster.systems.models import AccountingSystem
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_type(monkeypatch):
    """The one registry line a new type adds, for this test only."""
    monkeypatch.setattr(registry, "TYPE_MODULES", [*registry.TYPE_MODULES, "tests.jsonsource.registration"])
    yield registry.get_type("jsonfile")
    # Gone again for the other tests (the list of types, the create buttons).
    registry._registry.pop("jsonfile", None)
    registry._registry.pop("jsonpaid", None)
    sys.modules.pop("tests.jsonsource.registration", None)


def write(path, *invoices, transactions=()):
    path.write_text(json.dumps({"invoices": list(invoices), "transactions": list(transactions)}))


def invoice(id, net, tax="0.00", **extra):
    return {"id": id, "number": f"J-{id}", "date": "2024-01-31", "paid": "2024-02-01 10:00:00",
            "net": net, "tax": tax, "currency": "USD", **extra}  # fmt: skip


def refund(id, invoice, day, out):
    return {"id": id, "invoice": invoice, "date": day, "out": out}


def revenue(by="month"):
    out, err = io.StringIO(), io.StringIO()
    call_command("report", "revenue", "--by", by, "--format", "json", stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    return {r["period"]: (r["net"], r["tax"]) for r in report["rows"]}, report["total"], err.getvalue()


def held(system):
    return {i.whmcs_id: (str(i.net_base), str(i.tax_base)) for i in Invoice.objects.filter(system=system)}


def test_full_sync_then_sync_of_a_json_file_source(json_type, tmp_path, capsys):
    path = tmp_path / "invoices.json"
    write(path, *(invoice(i, f"{i}.00", "0.23") for i in range(1, 6)), invoice(6, "9.99", status="Unpaid"))
    system = AccountingSystem.objects.create(
        kind=json_type.key, name="Files", url=str(path), identifier="-", exchange_rate=Decimal("1"), step=2
    )

    call_command("sync", str(system.pk), "--full")
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert held(system) == {i: (f"{i}.00", "0.23") for i in range(1, 6)}
    assert run.requests >= 3  # five paid invoices in pages of two

    # A refund (gone), a late payment (new status) and a new invoice: the cheap Sync finds them.
    write(
        path, *(invoice(i, f"{i}.00", "0.23") for i in (1, 2, 4, 5)), invoice(6, "9.99"), invoice(7, "1.50")
    )
    call_command("sync", str(system.pk))
    assert held(system) == {
        **{i: (f"{i}.00", "0.23") for i in (1, 2, 4, 5)},
        6: ("9.99", "0.00"),
        7: ("1.50", "0.00"),
    }
    capsys.readouterr()
    call_command("report", "revenue", "--by", "year", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["total"]["net"] == "23.49" and report["total"]["tax"] == "0.92"


def test_the_json_type_offers_connection_test(json_type, tmp_path, admin_client):
    path = tmp_path / "invoices.json"
    write(path, invoice(1, "1.00"), invoice(2, "2.00"))
    system = AccountingSystem.objects.create(kind=json_type.key, name="Files", url=str(path), identifier="-")
    with system.type.make_client(system) as source:
        assert source.test_connection().paid_invoices == 2
    # The Test connection button (htmx) speaks of the system, not of WHMCS; the same in Polish.
    admin_client.get(reverse("systems:detail", args=[system.pk]))
    test = reverse("systems:test", args=[system.pk])
    body = csrf_post(admin_client, test, {}, HTTP_HX_REQUEST="true").content.decode()
    assert "Connection works: the system holds 2 paid invoices." in body
    assert "WHMCS" not in body
    with translation.override("en"):  # the request activates Polish: not for the next tests
        polish = csrf_post(admin_client, test, {}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="pl")
    polish = polish.content.decode()
    assert "WHMCS" not in polish and "Połączenie działa" in polish


# A sale, a deposit and a mass payment (neither is revenue), an invoice refunded in full
# (status Refunded) and a sale refunded in part, both refunds in March.
LEDGER_INVOICES = (
    invoice(1, "100.00", "23.00"),
    invoice(2, "50.00", kind="deposit"),
    invoice(3, "40.00", kind="mass_payment"),
    invoice(4, "10.00", "2.30", status="Refunded"),
    invoice(5, "20.00", "4.60"),
)
LEDGER_REFUNDS = (refund(1, 4, "2024-03-05", "12.30"), refund(2, 5, "2024-03-10", "2.46"))


def test_the_ledger_reads_kinds_and_refunds_of_a_json_source_through_the_seam(json_type, tmp_path):
    path = tmp_path / "invoices.json"
    write(path, *LEDGER_INVOICES, transactions=LEDGER_REFUNDS)
    system = AccountingSystem.objects.create(
        kind=json_type.key, name="Files", url=str(path), identifier="-", exchange_rate=Decimal("1")
    )

    call_command("sync", str(system.pk), "--full")
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    rows, total, notes = revenue()
    # January: the sales 1 and 5 and the refunded invoice 4 in its own month; March: both
    # refunds, split into net and tax in their invoice's proportion.
    assert rows == {"2024-01": ("130.00", "29.90"), "2024-03": ("-12.00", "-2.76")}
    assert total["net"] == "118.00" and total["tax"] == "27.14"
    assert notes == ""  # nothing it cannot tell apart

    # A new refund, found by the everyday sync.
    write(path, *LEDGER_INVOICES, transactions=(*LEDGER_REFUNDS, refund(3, 1, "2024-04-02", "12.30")))
    call_command("sync", str(system.pk))
    rows, _total, _notes = revenue()
    assert rows["2024-04"] == ("-10.00", "-2.30")


def test_a_source_without_the_ledger_features_syncs_paid_invoices_and_says_what_it_cannot_tell(
    json_type, tmp_path, viewer_client
):
    paid_only = registry.get_type("jsonpaid")
    path = tmp_path / "invoices.json"
    write(path, *LEDGER_INVOICES, transactions=LEDGER_REFUNDS)
    system = AccountingSystem.objects.create(
        kind=paid_only.key, name="Files", url=str(path), identifier="-", exchange_rate=Decimal("1")
    )

    call_command("sync", str(system.pk), "--full")
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.requests == 1  # one page of paid invoices: nothing asked that it cannot answer
    rows, _total, notes = revenue()
    # Revenue is the paid invoices as they are: deposit and mass payment included, no refunds.
    assert rows == {"2024-01": ("210.00", "27.60")}
    expected = "Files: this type of system does not tell deposits and mass payments from sales"
    assert expected in notes and "2 paid invoices without tax" in notes
    page = viewer_client.get("/reports/revenue/").content.decode()
    assert expected in page and "GetInvoice" not in page

    with translation.override("pl"):
        polish = viewer_client.get("/reports/revenue/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Files:" in polish and expected not in polish


def test_the_untaxed_paid_count_of_the_revenue_note_is_kept_with_the_invoices_not_counted_per_page(
    json_type, tmp_path, viewer_client
):
    """With a million invoices, counting the paid ones without tax took 400 ms per page: the
    pages read a figure the sync keeps in step instead, and it stays exact as invoices change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from forecaster.sync.models import UntaxedPaidCount

    paid_only = registry.get_type("jsonpaid")
    path = tmp_path / "invoices.json"
    write(path, *LEDGER_INVOICES)
    system = AccountingSystem.objects.create(
        kind=paid_only.key, name="Files", url=str(path), identifier="-", exchange_rate=Decimal("1"), step=2
    )

    def untaxed_counts(sql: list[dict]) -> int:
        return sum(1 for q in sql if "COUNT(" in q["sql"].upper() and '"tax2"' in q["sql"])

    with CaptureQueriesContext(connection) as queries:
        call_command("sync", str(system.pk), "--full")
    # Counted by the sync itself, once at its end (per page or window it cost 0.4 s each at a
    # million invoices): no page has to count.
    assert untaxed_counts(queries.captured_queries) == 1
    assert UntaxedPaidCount.objects.get(system=system).count == 2
    assert "2 paid invoices without tax" in revenue()[2]

    more = (invoice(6, "70.00"), invoice(7, "5.00"), invoice(8, "9.00", "2.07"), invoice(9, "1.00"))
    write(path, *LEDGER_INVOICES, *more)
    with CaptureQueriesContext(connection) as queries:
        call_command("sync", str(system.pk))
    assert untaxed_counts(queries.captured_queries) == 1
    assert "5 paid invoices without tax" in revenue()[2]

    for url in ("/reports/revenue/", "/", "/systems/"):
        with CaptureQueriesContext(connection) as queries:
            response = viewer_client.get(url)
        assert response.status_code == 200, url
        counted = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "sync_invoice" in q["sql"]]
        assert not counted, (url, counted)
    assert "5 paid invoices without tax" in viewer_client.get("/reports/revenue/").content.decode()


def test_a_json_source_changing_during_a_full_sync_is_named_as_the_accounting_system(
    json_type, tmp_path, monkeypatch, admin_client
):
    path = tmp_path / "invoices.json"
    write(path, *(invoice(i, "1.00") for i in range(1, 5)))
    system = AccountingSystem.objects.create(
        kind=json_type.key, name="Files", url=str(path), identifier="-", exchange_rate=Decimal("1"), step=2
    )
    read = json_type.source.get_invoices

    def grows_after_the_first_page(self, **kwargs):
        page = read(self, **kwargs)
        if kwargs.get("limitstart", 0) == 0 and kwargs.get("status", "Paid") == "Paid":
            write(path, *(invoice(i, "1.00") for i in range(1, 6)))  # a new invoice meanwhile
        return page

    monkeypatch.setattr(json_type.source, "get_invoices", grows_after_the_first_page)
    call_command("sync", str(system.pk), "--full")
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert "The accounting system changed while the sync read it" in run.note
    page = admin_client.get(reverse("sync:history")).content.decode()
    assert "The accounting system changed while the sync read it" in page and "WHMCS changed" not in page
    with translation.override("en"):
        polish = admin_client.get(reverse("sync:history"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Dane w systemie księgowym zmieniły się podczas odczytu" in polish


def test_a_json_file_changing_shape_fails_the_sync_in_words_of_the_accounting_system(
    json_type, tmp_path, admin_client
):
    path = tmp_path / "invoices.json"
    renamed = [{"amount" if k == "net" else k: v for k, v in invoice(i, "1.00").items()} for i in (1, 2)]
    write(path, *renamed)  # "net" is now "amount" on every invoice
    system = AccountingSystem.objects.create(
        kind=json_type.key, name="Files", url=str(path), identifier="-", exchange_rate=Decimal("1")
    )

    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("sync", str(system.pk), "--full", stderr=err)
    said = "The accounting system's response format changed: no invoice has the field 'net'."
    assert said in str(failed.value) and "WHMCS" not in str(failed.value) + err.getvalue()
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED and run.error_class == "ResponseFormatChanged"
    page = admin_client.get(reverse("sync:history")).content.decode()
    assert said.replace("'", "&#x27;") in page and "WHMCS response" not in page  # the menu has WHMCS help
    with translation.override("en"):
        polish = admin_client.get(reverse("sync:history"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Format odpowiedzi systemu księgowego zmienił się" in polish and "WHMCS response" not in polish


def test_sync_history_written_in_older_wordings_still_reads_in_polish(json_type, tmp_path, admin_client):
    system = AccountingSystem.objects.create(
        kind=json_type.key, name="Files", url=str(tmp_path), identifier="-"
    )
    for message in (
        "WHMCS response format changed: no invoice has the field 'total'",
        "WHMCS kept sending unpaid invoices due ahead without reaching an end; the pipeline was not read.",
    ):
        SyncRun.objects.create(
            system=system, mode="full", trigger="cli", status=SyncRun.Status.FAILED, error_message=message
        )
    with translation.override("en"):
        polish = admin_client.get(reverse("sync:history"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Format odpowiedzi WHMCS zmienił się" in polish
    assert "WHMCS wciąż przysyłał nieopłacone faktury" in polish
