"""The document pages through the HTTP client, with CSRF enforced, as each role."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from forecaster.documents.models import Document
from forecaster.documents.storage import documents_storage
from forecaster.documents.testing import make_pdf
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


def pdf_file(title: str, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or f"{title}.pdf", make_pdf(title), content_type="application/pdf")


def upload(client, *files, json=False):
    extra = {"HTTP_ACCEPT": "application/json"} if json else {}
    return csrf_post(client, "/documents/upload/", {"files": list(files)}, **extra)


def test_anonymous_visitors_see_nothing(anon_client, local_backend, admin_user):
    import io

    from forecaster.documents import services

    doc = services.ingest(io.BytesIO(make_pdf("Secret contract")), "c.pdf")
    for url in ["/documents/", f"/documents/{doc.pk}/", f"/documents/{doc.pk}/file", "/documents/upload/"]:
        response = anon_client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_bulk_upload_stores_the_pdfs_and_lists_each_refusal(admin_client, local_backend):
    response = upload(
        admin_client,
        pdf_file("Invoice 1"),
        pdf_file("Agreement 7"),
        SimpleUploadedFile("evil.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf"),
    )
    assert response.status_code == 400  # one was refused
    text = response.content.decode()
    assert "Invoice 1.pdf</strong>: Stored in the inbox." in text
    assert "evil.pdf</strong>: This file is not a PDF" in text
    assert Document.objects.filter(kind="inbox").count() == 2
    listing = admin_client.get("/documents/").content.decode()
    assert "Invoice 1.pdf" in listing and "Agreement 7.pdf" in listing and "evil.pdf" not in listing


def test_json_upload_refuses_a_duplicate_with_a_link_to_the_first(admin_client, local_backend):
    first = upload(admin_client, pdf_file("Same"), json=True)
    assert first.status_code == 200 and first.json()["results"][0]["ok"]
    again = upload(admin_client, pdf_file("Same", "renamed.pdf"), json=True)
    assert again.status_code == 400
    result = again.json()["results"][0]
    existing = Document.objects.get()
    assert result["reason"] == "duplicate"
    assert result["url"] == f"/documents/{existing.pk}/"
    assert "Same.pdf" in result["message"] or "Same" in result["message"]


def test_a_storage_failure_is_told_and_leaves_nothing(admin_client, webdav):
    webdav.faults.status_for_put = 507
    response = upload(admin_client, pdf_file("Full disk"), json=True)
    assert response.status_code == 503
    assert "out of space" in response.json()["results"][0]["message"]
    assert webdav.password not in response.content.decode()
    assert Document.objects.count() == 0


def test_viewers_read_and_download_but_cannot_change(viewer_client, admin_client, local_backend):
    upload(admin_client, pdf_file("Readable"))
    doc = Document.objects.get()
    assert viewer_client.get("/documents/").status_code == 200
    assert viewer_client.get(f"/documents/{doc.pk}/").status_code == 200
    assert viewer_client.get(f"/documents/{doc.pk}/file").status_code == 200
    assert viewer_client.get("/documents/upload/").status_code == 403
    assert upload(viewer_client, pdf_file("Other")).status_code == 403
    assert csrf_post(viewer_client, f"/documents/{doc.pk}/delete").status_code == 403
    assert Document.objects.count() == 1


def test_the_pdf_is_served_so_it_can_never_run_as_a_page(admin_client, local_backend):
    upload(admin_client, pdf_file("Preview me", '<b>odd"name</b>.pdf'))
    doc = Document.objects.get()
    response = admin_client.get(f"/documents/{doc.pk}/file")
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == doc.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert "<" not in response["Content-Disposition"] and '"name' not in response["Content-Disposition"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    download = admin_client.get(f"/documents/{doc.pk}/file?download=1")
    assert download["Content-Disposition"].startswith("attachment;")


def test_a_file_missing_from_the_archive_is_a_404_not_a_crash(admin_client, local_backend):
    upload(admin_client, pdf_file("Vanishing"))
    doc = Document.objects.get()
    documents_storage().delete(doc.path)
    assert admin_client.get(f"/documents/{doc.pk}/file").status_code == 404


def test_delete_needs_post_and_csrf_and_keeps_the_file(admin_client, local_backend):
    upload(admin_client, pdf_file("Throw away"))
    doc = Document.objects.get()
    assert admin_client.get(f"/documents/{doc.pk}/delete").status_code == 405
    assert admin_client.post(f"/documents/{doc.pk}/delete").status_code == 403  # no CSRF token
    response = csrf_post(admin_client, f"/documents/{doc.pk}/delete")
    assert response.status_code == 302
    assert Document.objects.count() == 0
    assert documents_storage().exists(f"raw/delete/{doc.sha256}.pdf")


def test_empty_inbox_says_what_to_do(admin_client, viewer_client, local_backend):
    assert "Upload PDFs" in admin_client.get("/documents/").content.decode()
    assert "An administrator can upload PDFs." in viewer_client.get("/documents/").content.decode()
