"""`forecaster documents upload DIR`, `check` and `list` through call_command."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from forecaster.documents.models import Document
from forecaster.documents.testing import make_pdf

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("documents", *args, stdout=out)
    return out.getvalue()


def test_upload_a_folder_stores_the_pdfs_and_names_each_refusal(local_backend, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(make_pdf("A"))
    (folder / "b.PDF").write_bytes(make_pdf("B"))
    (folder / "same-as-a.pdf").write_bytes(make_pdf("A"))
    (folder / "notes.pdf").write_text("not a pdf")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 stored in the inbox, 2 refused or failed, of 4 files"):
        call_command("documents", "upload", str(folder), stdout=out)
    text = out.getvalue()
    assert "[1/4] a.pdf: stored as document" in text
    assert "notes.pdf: refused: This file is not a PDF" in text
    assert "same-as-a.pdf: refused: This file was uploaded before" in text
    assert Document.objects.filter(kind="inbox").count() == 2
    assert "OK: 2 documents checked" in run("check")
    listed = run("list", "--kind", "inbox")
    assert "a.pdf" in listed and "b.PDF" in listed


def test_upload_of_a_missing_folder_is_a_clear_error(local_backend, tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        run("upload", str(tmp_path / "nope"))


def test_check_names_a_file_deleted_behind_our_back_and_a_stray(local_backend, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.pdf").write_bytes(make_pdf("X"))
    run("upload", str(folder))
    doc = Document.objects.get()
    (local_backend / doc.path).unlink()
    (local_backend / "agreements" / "2019" / "05").mkdir(parents=True)
    (local_backend / "agreements" / "2019" / "05" / "old.pdf").write_bytes(b"old")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 documents checked: 1 missing, 0 changed, 1 stray files"):
        call_command("documents", "check", stdout=out)
    assert f"MISSING  {doc.path}" in out.getvalue()
    assert "STRAY    agreements/2019/05/old.pdf" in out.getvalue()


def test_check_and_list_work_on_a_fresh_data_dir(local_backend):
    assert "OK: 0 documents checked" in run("check")
    assert "No documents" in run("list")


def test_check_after_a_failed_webdav_upload_is_clean(webdav, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.pdf").write_bytes(make_pdf("X"))
    webdav.faults.status_for_put = 507
    out = io.StringIO()
    with pytest.raises(CommandError, match="0 stored"):
        call_command("documents", "upload", str(folder), stdout=out)
    assert "out of space" in out.getvalue()
    webdav.faults.status_for_put = None
    assert "OK: 0 documents checked" in run("check")
