"""A second, test-only accounting-system type syncs through the unchanged engine."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command

from forecaster.sync.models import Invoice, SyncRun
from forecaster.systems import registry
from forecaster.systems.models import AccountingSystem

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_type(monkeypatch):
    """The one registry line a new type adds, for this test only."""
    monkeypatch.setattr(registry, "TYPE_MODULES", [*registry.TYPE_MODULES, "tests.jsonsource.registration"])
    yield registry.get_type("jsonfile")
    # Gone again for the other tests (the list of types, the create buttons).
    registry._registry.pop("jsonfile", None)
    sys.modules.pop("tests.jsonsource.registration", None)


def write(path, *invoices):
    path.write_text(json.dumps({"invoices": list(invoices)}))


def invoice(id, net, tax="0.00", **extra):
    return {"id": id, "number": f"J-{id}", "date": "2024-01-31", "paid": "2024-02-01 10:00:00",
            "net": net, "tax": tax, "currency": "USD", **extra}  # fmt: skip


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


def test_the_json_type_offers_connection_test_and_no_fast_path(json_type, tmp_path):
    path = tmp_path / "invoices.json"
    write(path, invoice(1, "1.00"), invoice(2, "2.00"))
    system = AccountingSystem.objects.create(kind=json_type.key, name="Files", url=str(path), identifier="-")
    with system.type.make_client(system) as source:
        assert source.test_connection().paid_invoices == 2
        assert not source.plain_text_rows
