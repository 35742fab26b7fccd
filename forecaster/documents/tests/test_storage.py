"""One storage suite, run against local disk, a real WebDAV server and a real S3 server."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.core.files.base import ContentFile

from forecaster.documents import services
from forecaster.documents.models import Document
from forecaster.documents.storage import archive_name, documents_storage, move, walk
from forecaster.documents.testing import make_pdf

pytestmark = pytest.mark.django_db


def test_save_open_exists_size_delete(backend):
    storage = documents_storage()
    name = archive_name("ab" * 32)
    assert not storage.exists(name)
    assert storage.save(name, ContentFile(b"%PDF-1.4 hello")) == name
    assert storage.exists(name)
    assert storage.size(name) == len(b"%PDF-1.4 hello")
    with storage.open(name, "rb") as fh:
        assert fh.read() == b"%PDF-1.4 hello"
    # the same name again overwrites (names come from the content's hash)
    assert storage.save(name, ContentFile(b"%PDF-1.4 hello")) == name
    storage.delete(name)
    assert not storage.exists(name)


def test_open_missing_file_is_file_not_found(backend):
    with pytest.raises(FileNotFoundError):
        documents_storage().open("raw/upload/nothing.pdf", "rb").read()


def test_walk_lists_nested_files_and_move_keeps_content(backend):
    storage = documents_storage()
    storage.save("invoices/2025/03/a.pdf", ContentFile(b"a"))
    storage.save("invoices/2025/04/b.pdf", ContentFile(b"b"))
    assert sorted(walk(storage, "invoices")) == ["invoices/2025/03/a.pdf", "invoices/2025/04/b.pdf"]
    assert list(walk(storage, "annexes")) == []
    move(storage, "invoices/2025/03/a.pdf", "raw/delete/a.pdf")
    assert not storage.exists("invoices/2025/03/a.pdf")
    with storage.open("raw/delete/a.pdf", "rb") as fh:
        assert fh.read() == b"a"


def test_upload_lands_in_the_inbox_under_its_hash(backend):
    pdf = make_pdf("Invoice FV/1/2025", "20250309101500")
    doc = services.ingest(io.BytesIO(pdf), "FV 1 2025.pdf")
    sha = hashlib.sha256(pdf).hexdigest()
    assert (doc.sha256, doc.size, doc.kind) == (sha, len(pdf), Document.Kind.INBOX)
    assert doc.path == f"raw/upload/{sha}.pdf"
    assert doc.title == "Invoice FV/1/2025"
    assert doc.pdf_date == datetime.date(2025, 3, 9)
    with documents_storage().open(doc.path, "rb") as fh:
        assert fh.read() == pdf
    assert services.check().ok


def test_the_same_pdf_twice_is_refused_with_the_first_one_named(backend):
    pdf = make_pdf("Agreement")
    first = services.ingest(io.BytesIO(pdf), "agreement.pdf")
    with pytest.raises(services.UploadRefused) as refused:
        services.ingest(io.BytesIO(pdf), "copy of agreement.pdf")
    assert refused.value.reason == "duplicate"
    assert refused.value.existing == first
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(1)</script></html>", b"just text", b"%PDF-1.7 but nothing else is a PDF"],
)
def test_a_file_that_is_not_a_pdf_is_refused_whatever_its_name(backend, content):
    with pytest.raises(services.UploadRefused) as refused:
        services.ingest(io.BytesIO(content), "invoice.pdf")
    assert refused.value.reason == "not_pdf"
    assert Document.objects.count() == 0
    assert services.check().ok  # and nothing was written


def test_a_file_over_the_size_limit_is_refused(backend, settings):
    settings.DOCUMENTS_MAX_MB = 1
    big = make_pdf("big") + b"%" + b"x" * (1024 * 1024)
    with pytest.raises(services.UploadRefused) as refused:
        services.ingest(io.BytesIO(big), "big.pdf")
    assert refused.value.reason == "too_large"
    assert "1 MB" in refused.value.message
    assert Document.objects.count() == 0


def test_classifying_moves_the_file_to_its_dated_archive_folder(backend):
    doc = services.ingest(io.BytesIO(make_pdf("Annex 2")), "annex.pdf")
    inbox_path = doc.path
    services.relocate(doc, Document.Kind.ANNEX, datetime.date(2024, 11, 30))
    doc.refresh_from_db()
    assert doc.path == f"annexes/2024/11/{doc.sha256}.pdf"
    storage = documents_storage()
    assert storage.exists(doc.path) and not storage.exists(inbox_path)
    assert services.check().ok
    services.relocate(doc, Document.Kind.INBOX)
    doc.refresh_from_db()
    assert doc.path == inbox_path and storage.exists(inbox_path)


def test_a_failed_classification_moves_the_file_back(backend):
    doc = services.ingest(io.BytesIO(make_pdf("Invoice")), "inv.pdf")

    def fails():
        raise RuntimeError("the form's record could not be saved")

    with pytest.raises(RuntimeError):
        services.relocate(doc, Document.Kind.INVOICE, datetime.date(2025, 1, 2), also=fails)
    doc.refresh_from_db()
    assert doc.kind == Document.Kind.INBOX
    assert services.check().ok


def test_delete_keeps_the_file_in_raw_delete(backend):
    pdf = make_pdf("To delete")
    doc = services.ingest(io.BytesIO(pdf), "x.pdf")
    kept = services.delete(doc)
    assert kept == f"raw/delete/{doc.sha256}.pdf"
    assert Document.objects.count() == 0
    with documents_storage().open(kept, "rb") as fh:
        assert fh.read() == pdf
    assert services.check().ok  # the trash is not a stray
    # and the same file can be uploaded again
    services.ingest(io.BytesIO(pdf), "x.pdf")


def test_check_reports_a_file_deleted_behind_our_back_and_strays(backend):
    doc = services.ingest(io.BytesIO(make_pdf("Gone")), "gone.pdf")
    other = services.ingest(io.BytesIO(make_pdf("Changed")), "changed.pdf")
    storage = documents_storage()
    storage.delete(doc.path)
    storage.save(other.path, ContentFile(make_pdf("Changed by someone")))
    storage.save("invoices/2020/01/stray.pdf", ContentFile(b"stray"))
    report = services.check()
    assert not report.ok
    assert report.missing == [doc]
    assert report.corrupt == [other]
    assert report.strays == ["invoices/2020/01/stray.pdf"]
