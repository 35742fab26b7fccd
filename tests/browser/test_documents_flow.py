"""Documents end to end in a real browser, on local disk, on a real WebDAV server and on a real S3
server (wsgidav and moto, started here on loopback).

An administrator uploads three PDFs in one go, files one as a cost invoice, one as an agreement
and one as an annex (each form pre-filled from the PDF), previews each; the same PDF again and a
non-PDF are refused; a failed upload leaves nothing (`forecaster documents check` stays clean).
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Page, expect

from forecaster.documents.testing import make_pdf, running_s3, running_webdav
from tests.browser.test_user_flow import create_first_admin, label
from tests.harness import LiveService

TIMEOUT_MS = 15_000
PDFS = {
    "invoice-fv-7-2025.pdf": ("Invoice FV/7/2025", "20250314090000"),
    "colocation-agreement.pdf": ("Colocation agreement", "20240601120000"),
    "annex-1.pdf": ("Annex 1 to the colocation agreement", "20250101080000"),
}


@contextlib.contextmanager
def storage_server(kind: str, tmp_path):
    if kind == "local":
        yield None, {}
    elif kind == "webdav":
        with running_webdav(tmp_path / "dav") as dav:
            yield dav, dav.env
    else:
        with running_s3() as s3:
            yield s3, s3.env


def upload(page: Page, files: list) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Documents", exact=True).click()
    page.get_by_role("link", name="Upload PDFs").first.click()
    page.get_by_label(label("PDF files")).set_input_files(files)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-status")).to_contain_text("Done:")


def open_document(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Documents", exact=True).click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def check_preview(page: Page) -> None:
    """The preview frame is there and its source is the PDF, served as a PDF to this session."""
    frame = page.locator("iframe.pdf-preview")
    expect(frame).to_be_visible()
    src = frame.get_attribute("src")
    response = page.request.get(urljoin(page.url, src))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.body().startswith(b"%PDF-")


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["local", "webdav", "s3"])
def test_upload_classify_and_preview_three_pdfs(browser, shot, tmp_path, kind):
    with storage_server(kind, tmp_path) as (server, env), LiveService(tmp_path / "data", **env) as service:
        service.cli(
            "manage",
            "shell",
            "-c",
            "from forecaster.costs.models import Counterparty;"
            " Counterparty.objects.create(company_name='Datacenter One')",
        )
        folder = tmp_path / "scans"
        folder.mkdir()
        files = []
        for name, (title, created) in PDFS.items():
            (folder / name).write_bytes(make_pdf(title, created))
            files.append(folder / name)
        (folder / "notes.pdf").write_text("this is not a PDF, whatever its name says")

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        create_first_admin(page, service.url, shot)

        # Three PDFs in one go: each gets its own line, all stored.
        upload(page, files)
        results = page.locator("#upload-results")
        for name in PDFS:
            expect(results).to_contain_text(f"{name}: Stored in the inbox.")
        expect(page.locator("#upload-status")).to_contain_text("3 stored, 0 refused")
        shot(page, f"documents {kind} - three PDFs uploaded")

        # The same PDF again, and a text file named .pdf: both refused, said why.
        upload(page, [files[0], folder / "notes.pdf"])
        expect(results).to_contain_text("invoice-fv-7-2025.pdf: This file was uploaded before")
        expect(results.get_by_role("link", name="the existing document")).to_be_visible()
        expect(results).to_contain_text("notes.pdf: This file is not a PDF")
        shot(page, f"documents {kind} - duplicate and non-PDF refused")

        # A storage that fails mid-upload (WebDAV out of space) tells the user and keeps nothing.
        if kind == "webdav":
            server.faults.status_for_put = 507
            another = folder / "another.pdf"
            another.write_bytes(make_pdf("Another invoice"))
            upload(page, [another])
            expect(results).to_contain_text("out of space")
            server.faults.status_for_put = None
            shot(page, "documents webdav - upload failed, out of space")

        # Cost invoice: number and document date come from the PDF.
        open_document(page, "invoice-fv-7-2025.pdf")
        check_preview(page)
        page.get_by_role("link", name="Cost invoice", exact=True).click()
        expect(page.get_by_label(label("number"))).to_have_value("FV/7/2025")
        expect(page.get_by_label(label("document date"))).to_have_value("2025-03-14")
        page.get_by_label(label("counterparty")).select_option(label="Datacenter One")
        page.get_by_label(label("net")).fill("100.00")
        page.get_by_label(label("VAT")).fill("23.00")
        page.get_by_label(label("gross")).fill("123.00")
        page.get_by_label(label("currency")).fill("USD")
        shot(page, f"documents {kind} - file as cost invoice")
        page.get_by_role("button", name="Save and file").click()
        expect(page.locator(".messages")).to_contain_text("Filed as cost invoice")
        expect(page.locator("main")).to_contain_text(re.compile(r"invoices/2025/03/[0-9a-f]{64}\.pdf"))
        check_preview(page)

        # Agreement: title and dates from the PDF.
        open_document(page, "colocation-agreement.pdf")
        page.get_by_role("link", name="Agreement", exact=True).click()
        expect(page.get_by_label(label("title"))).to_have_value("Colocation agreement")
        expect(page.get_by_label(label("start date"))).to_have_value("2024-06-01")
        page.get_by_label(label("counterparty")).select_option(label="Datacenter One")
        page.get_by_label(re.compile(r"^\s*indefinite", re.I)).check()
        page.get_by_role("button", name="Save and file").click()
        expect(page.locator(".messages")).to_contain_text("Filed as agreement")
        expect(page.locator("main")).to_contain_text(re.compile(r"agreements/2024/06/[0-9a-f]{64}\.pdf"))
        check_preview(page)

        # Annex of that agreement, effective from the PDF's date.
        open_document(page, "annex-1.pdf")
        page.get_by_role("link", name="Annex", exact=True).click()
        expect(page.get_by_label(label("effective date"))).to_have_value("2025-01-01")
        page.get_by_label(label("agreement")).select_option(index=1)
        page.get_by_role("button", name="Save and file").click()
        expect(page.locator(".messages")).to_contain_text("Filed as annex")
        expect(page.locator("main")).to_contain_text(re.compile(r"annexes/2025/01/[0-9a-f]{64}\.pdf"))
        check_preview(page)
        shot(page, f"documents {kind} - annex filed")

        # The inbox is empty again, and the archive matches the database to the byte.
        page.get_by_role("navigation").get_by_role("link", name="Documents", exact=True).click()
        expect(page.locator("#documents")).to_contain_text("The inbox is empty.")
        check = service.cli("documents", "check")
        assert "OK: 3 documents checked" in check.stdout
        context.close()
