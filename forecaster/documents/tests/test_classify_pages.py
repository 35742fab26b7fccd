"""Filing inbox documents through the pages, with the costs app's own forms."""

from __future__ import annotations

import io
from datetime import date

import pytest

from forecaster.costs.models import Agreement, Annex, CostInvoice, Counterparty
from forecaster.documents import services
from forecaster.documents.models import Document
from forecaster.documents.testing import make_pdf
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


def inbox_doc(title="Invoice FV/12/2025", created="20250314090000"):
    return services.ingest(io.BytesIO(make_pdf(title, created)), "scan.pdf")


def test_the_invoice_form_is_prefilled_from_the_pdf(admin_client, local_backend):
    party = Counterparty.objects.create(company_name="Datacenter One")
    doc = inbox_doc()
    page = admin_client.get(f"/documents/{doc.pk}/classify/invoice/?counterparty={party.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["number"] == "FV/12/2025"
    assert form.initial["document_date"] == date(2025, 3, 14)
    assert str(form.initial["counterparty"]) == str(party.pk)
    # every field carries its help text
    assert all(field.help_text for field in form.fields.values())


def test_filing_as_a_cost_invoice_saves_it_and_moves_the_file(admin_client, local_backend):
    party = Counterparty.objects.create(company_name="Datacenter One")
    doc = inbox_doc()
    response = csrf_post(
        admin_client,
        f"/documents/{doc.pk}/classify/invoice/",
        {
            "counterparty": party.pk,
            "number": "FV/12/2025",
            "document_date": "2025-03-14",
            "net": "100.00",
            "vat": "23.00",
            "gross": "123.00",
            "currency": "USD",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    doc.refresh_from_db()
    invoice = CostInvoice.objects.get()
    assert (doc.kind, doc.cost_invoice, doc.path) == (
        "invoice",
        invoice,
        f"invoices/2025/03/{doc.sha256}.pdf",
    )
    detail = admin_client.get(f"/documents/{doc.pk}/").content.decode()
    assert "FV/12/2025" in detail and "Back to the inbox" in detail
    assert services.check().ok


def test_the_costs_forms_rules_apply_and_nothing_moves_on_an_error(admin_client, local_backend):
    party = Counterparty.objects.create(company_name="Datacenter One")
    doc = inbox_doc()
    response = csrf_post(
        admin_client,
        f"/documents/{doc.pk}/classify/invoice/",
        {
            "counterparty": party.pk,
            "number": "FV/12/2025",
            "document_date": "2025-03-14",
            "net": "100.00",
            "vat": "23.00",
            "gross": "124.00",
            "currency": "USD",
        },
    )
    assert response.status_code == 400
    assert "gross" in response.context["form"].errors
    doc.refresh_from_db()
    assert doc.kind == "inbox" and CostInvoice.objects.count() == 0


def test_an_annex_names_its_agreement_and_unmap_is_refused_while_the_agreement_has_it(
    admin_client, local_backend
):
    party = Counterparty.objects.create(company_name="Datacenter One")
    a_doc = inbox_doc("Colocation agreement", "20240601120000")
    x_doc = inbox_doc("Annex 1", "20250101080000")
    r = csrf_post(
        admin_client,
        f"/documents/{a_doc.pk}/classify/agreement/",
        {
            "counterparty": party.pk,
            "title": "Colocation",
            "starts_on": "2024-06-01",
            "indefinite": "on",
            "notice_unit": "months",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    agreement = Agreement.objects.get()
    r = csrf_post(
        admin_client,
        f"/documents/{x_doc.pk}/classify/annex/",
        {
            "link-agreement": agreement.pk,
            "effective_on": "2025-01-01",
            "tacit_renewal": "unknown",
            "notice_unit": "months",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Annex.objects.get().agreement == agreement
    x_doc.refresh_from_db()
    assert x_doc.path.startswith("annexes/2025/01/")

    refused = csrf_post(admin_client, f"/documents/{a_doc.pk}/unmap", follow=True)
    assert "1 annex" in refused.content.decode()
    a_doc.refresh_from_db()
    assert a_doc.kind == "agreement"

    csrf_post(admin_client, f"/documents/{x_doc.pk}/unmap")
    csrf_post(admin_client, f"/documents/{a_doc.pk}/unmap")
    assert set(Document.objects.values_list("kind", flat=True)) == {"inbox"}
    assert Agreement.objects.count() == 0 and Annex.objects.count() == 0
    assert services.check().ok


def test_viewers_cannot_file_or_unmap(viewer_client, local_backend):
    doc = inbox_doc()
    assert viewer_client.get(f"/documents/{doc.pk}/classify/invoice/").status_code == 403
    assert csrf_post(viewer_client, f"/documents/{doc.pk}/classify/invoice/", {}).status_code == 403
    assert csrf_post(viewer_client, f"/documents/{doc.pk}/unmap").status_code == 403


def test_a_single_upload_from_a_counterparty_goes_on_to_filing_it(admin_client, local_backend):
    from django.core.files.uploadedfile import SimpleUploadedFile

    party = Counterparty.objects.create(company_name="Datacenter One")
    profile = admin_client.get(f"/costs/counterparties/{party.pk}/").content.decode()
    assert f"/documents/upload/?counterparty={party.pk}" in profile
    pdf = SimpleUploadedFile("inv.pdf", make_pdf("Invoice 9"), content_type="application/pdf")
    r = csrf_post(admin_client, "/documents/upload/", {"files": [pdf], "counterparty": party.pk})
    doc = Document.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/documents/{doc.pk}/?counterparty={party.pk}"
    page = admin_client.get(r["Location"]).content.decode()
    assert f"/documents/{doc.pk}/classify/invoice/?counterparty={party.pk}" in page
