"""Classifying inbox documents into cost invoices, agreements and annexes, and back."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from forecaster.costs.models import Agreement, Annex, Commitment, CostInvoice, Counterparty
from forecaster.documents import services
from forecaster.documents.models import Document
from forecaster.documents.storage import documents_storage
from forecaster.documents.testing import make_pdf

pytestmark = pytest.mark.django_db


def doc(title="Scan"):
    return services.ingest(io.BytesIO(make_pdf(title)), f"{title}.pdf")


def party():
    return Counterparty.objects.create(company_name="Datacenter One")


def invoice(cp, day=date(2025, 3, 9)):
    return CostInvoice(
        counterparty=cp,
        number="FV/1",
        document_date=day,
        net=Decimal("100.00"),
        vat=Decimal("23.00"),
        gross=Decimal("123.00"),
        currency="USD",
    )


def agreement(cp):
    return Agreement(
        counterparty=cp, title="Colocation", concluded_on=date(2024, 6, 1), starts_on=date(2024, 7, 1)
    )


def test_an_invoice_is_filed_under_its_document_date(local_backend):
    d = doc()
    inv = services.classify(d, Document.Kind.INVOICE, invoice(party()))
    d.refresh_from_db()
    assert (d.kind, d.cost_invoice, d.path) == ("invoice", inv, f"invoices/2025/03/{d.sha256}.pdf")
    assert inv.document == d
    assert (local_backend / d.path).exists()
    assert services.check().ok


def test_an_agreement_by_its_conclusion_date_and_an_annex_by_its_effective_date(local_backend):
    cp = party()
    a_doc, x_doc = doc("Agreement"), doc("Annex")
    ag = services.classify(a_doc, Document.Kind.AGREEMENT, agreement(cp))
    services.classify(x_doc, Document.Kind.ANNEX, Annex(agreement=ag, effective_on=date(2025, 1, 1)))
    a_doc.refresh_from_db()
    x_doc.refresh_from_db()
    assert a_doc.path.startswith("agreements/2024/06/")
    assert x_doc.path.startswith("annexes/2025/01/")
    assert services.check().ok


def test_a_record_that_does_not_save_leaves_the_document_in_the_inbox(local_backend):
    d = doc()
    bad = invoice(party())
    bad.gross = Decimal("1.00")  # the database refuses net + VAT != gross
    with pytest.raises(Exception):  # noqa: B017
        services.classify(d, Document.Kind.INVOICE, bad)
    d.refresh_from_db()
    assert d.kind == "inbox" and CostInvoice.objects.count() == 0
    assert services.check().ok


def test_unmap_deletes_the_record_and_returns_the_file_to_the_inbox(local_backend):
    d = doc()
    services.classify(d, Document.Kind.INVOICE, invoice(party()))
    services.unmap(d)
    d.refresh_from_db()
    assert (d.kind, d.cost_invoice, d.path) == ("inbox", None, f"raw/upload/{d.sha256}.pdf")
    assert CostInvoice.objects.count() == 0
    assert services.check().ok


def test_unmap_is_refused_while_something_depends_on_the_record_and_says_what(local_backend):
    cp = party()
    d = doc()
    ag = services.classify(d, Document.Kind.AGREEMENT, agreement(cp))
    Annex.objects.create(agreement=ag, effective_on=date(2025, 1, 1))
    Commitment.objects.create(name="Rack", agreement=ag)
    with pytest.raises(services.Refused) as refused:
        services.unmap(d)
    assert "1 annex" in str(refused.value) and "1 commitment" in str(refused.value)
    d.refresh_from_db()
    assert d.kind == "agreement" and Agreement.objects.count() == 1


def test_an_invoice_in_a_commitment_cannot_be_unmapped(local_backend):
    cp = party()
    d = doc()
    inv = invoice(cp)
    inv.commitment = Commitment.objects.create(name="Power", counterparty=cp)
    services.classify(d, Document.Kind.INVOICE, inv)
    with pytest.raises(services.Refused, match="Power"):
        services.unmap(d)


def test_a_classified_document_cannot_be_deleted_or_classified_again(local_backend):
    d = doc()
    services.classify(d, Document.Kind.INVOICE, invoice(party()))
    assert "filed as cost invoice" in services.dependents(d)
    with pytest.raises(services.Refused):
        services.classify(d, Document.Kind.AGREEMENT, agreement(party()))


def test_deleting_the_record_elsewhere_sends_the_document_back_to_the_inbox(
    local_backend, django_capture_on_commit_callbacks
):
    d = doc()
    inv = services.classify(d, Document.Kind.INVOICE, invoice(party()))
    with django_capture_on_commit_callbacks(execute=True):
        inv.delete()
    d.refresh_from_db()
    assert (d.kind, d.path) == ("inbox", f"raw/upload/{d.sha256}.pdf")
    assert documents_storage().exists(d.path)
    assert services.check().ok
