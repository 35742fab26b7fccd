"""P1/P2: nothing about WHMCS clients is stored or logged, and bad records are quarantined."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from forecaster.sandbox.testing import running_sandbox
from forecaster.sync.engine import run_sync
from forecaster.sync.models import Invoice, QuarantinedRecord
from forecaster.systems.whmcs.client import WhmcsClient
from tests.builders import make_system

pytestmark = pytest.mark.django_db


class Corrupting:
    """Wraps the real client and spoils chosen records the way a broken WHMCS might."""

    def __init__(self, inner: WhmcsClient, spoil: dict[int, dict]):
        self.inner = inner
        self.spoil = spoil

    @property
    def requests_made(self) -> int:
        return self.inner.requests_made

    def __getattr__(self, name: str):  # parsing, notes, close: the real client's
        return getattr(self.inner, name)

    def get_invoices(self, **kwargs):
        page = self.inner.get_invoices(**kwargs)
        for record in page.records:
            record.update(self.spoil.get(record.get("id"), {}))
        return page


def dump_everything() -> str:
    """Every row of every table, as text."""
    parts = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            parts.append(repr(row))
    return "\n".join(parts)


def client_strings(sb) -> set[str]:
    values = set()
    for client in sb.state.clients.values():
        values.update({client.firstname, client.lastname, client.companyname, client.email})
    values.update(sb.state.note_texts)
    return {v for v in values if v and len(v.strip()) > 1}


def test_no_client_data_in_any_table_log_or_output(caplog):
    caplog.set_level(logging.DEBUG)
    with running_sandbox(invoices=120, seed=11, mixed_currencies=True) as sb:
        system = make_system(sb, step=13)
        paid = sorted(sb.paid_invoices())
        first_client = next(iter(sb.state.clients.values()))
        spoil = {
            paid[3]: {"subtotal": first_client.firstname},
            paid[4]: {"date": first_client.email},
            paid[5]: {"id": first_client.lastname},
        }
        with WhmcsClient.for_system(system) as real:
            run = run_sync(system, "full", "cli", client=Corrupting(real, spoil))
        assert run.status == "succeeded" and run.quarantined == 3
        out, err = StringIO(), StringIO()
        call_command("sync", system.name, stdout=out, stderr=err)
        call_command("sync", system.name, "--full", stdout=out, stderr=err)
        haystack = "\n".join([dump_everything(), caplog.text, out.getvalue(), err.getvalue()])
        leaked = sorted(s for s in client_strings(sb) if s in haystack)
        assert leaked == []
        assert Invoice.objects.filter(system=system).count() == len(paid)
        reasons = set(QuarantinedRecord.objects.values_list("whmcs_id", "error"))
        assert reasons == {
            (paid[3], "subtotal is not an amount"),
            (paid[4], "date is not a date"),
            (None, "invoice id is missing or not a whole number"),
        }


def test_an_unreadable_invoice_keeps_its_held_copy(system, sb):
    run_sync(system, "full", "cli")
    target = sorted(sb.paid_invoices())[7]
    with WhmcsClient.for_system(system) as real:
        run = run_sync(system, "full", "cli", client=Corrupting(real, {target: {"total": "n/a"}}))
    assert run.quarantined == 1 and run.removed == 0
    assert Invoice.objects.filter(system=system, whmcs_id=target).exists()


def test_the_stored_invoice_is_exactly_the_product_whitelist():
    """P2: a new field in WHMCS's answer cannot reach the database — the model is the list."""
    fields = {f.name for f in Invoice._meta.get_fields()}
    assert fields == {
        "id",
        "system",
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
        "synced_at",
    }
    quarantine = {f.name for f in QuarantinedRecord._meta.get_fields()}
    assert quarantine == {"id", "system", "run", "whmcs_id", "error", "created_at"}
