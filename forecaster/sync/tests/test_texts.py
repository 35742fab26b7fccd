"""Stored sync texts (English in the database, the log and the CLI) shown in the reader's language
on the sync history, the system pages and the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from forecaster.sync.engine import run_sync
from forecaster.sync.models import SyncRun
from forecaster.sync.tests.test_running import IMMEDIATE
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    translation.activate("en")  # a request leaves its language active in the test's thread


POLISH = {
    "First sync of this system: a full sync.": "Pierwsza synchronizacja tego systemu: synchronizacja pełna.",
    "Full sync done": "Pełna synchronizacja zakończona",
}
RUSSIAN = {
    "First sync of this system: a full sync.": "Первая синхронизация этой системы: полная синхронизация.",
    "Full sync done": "Полная синхронизация завершена",
}


@pytest.fixture
def synced(system):
    run = run_sync(system, "incremental", "cli")  # the first one is a full sync, with a note
    assert run.status == "succeeded" and run.note.startswith("First sync of this system")
    system.refresh_from_db()
    assert system.last_sync_message.startswith("Full sync done: ")  # stored in English
    return system, run


@pytest.mark.parametrize(("lang", "words"), [("pl", POLISH), ("ru", RUSSIAN)])
def test_history_system_pages_and_dashboard_show_stored_texts_translated(admin_client, synced, lang, words):
    system, run = synced
    pages = {
        url: admin_client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        for url in ("/sync/", f"/systems/{system.pk}/", "/systems/", "/")
    }
    history = pages["/sync/"]
    assert words["First sync of this system: a full sync."] in history
    for url in (f"/systems/{system.pk}/", "/systems/", "/"):
        assert words["Full sync done"] in pages[url], url
        assert f"{run.requests}" in pages[url]
    for page in pages.values():
        assert "First sync of this system" not in page and "Full sync done" not in page


def test_parameters_and_joined_sentences_are_translated_each(admin_client, system):
    SyncRun.objects.create(
        system=system,
        mode="full",
        trigger="cli",
        status="failed",
        error_class="DatabaseError",
        error_message="The database refused to save the sync (disk I/O error); the pages already imported "
        "are intact.",
        error_fix="Run the sync again when WHMCS is quieter.",
        note="Resumed from step 7. Some changes may remain for the next sync. An older wording stays.",
    )
    page = admin_client.get("/sync/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Baza danych odmówiła zapisu synchronizacji (disk I/O error)" in page
    assert "Uruchom synchronizację ponownie, gdy WHMCS będzie mniej obciążony." in page
    assert "Wznowiono od kroku 7. Część zmian może zostać uwzględniona" in page
    assert "An older wording stays." in page  # no msgid matches it: kept as stored
    english = admin_client.get("/sync/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Resumed from step 7. Some changes may remain for the next sync." in english


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE)
def test_a_sync_started_from_a_polish_page_stores_english_and_shows_polish(admin_client, system, sb):
    sb.policy.allowed_ips = set()  # the run fails with a diagnosis from the WHMCS client
    admin_client.get(f"/sync/{system.pk}/", HTTP_ACCEPT_LANGUAGE="pl")
    csrf_post(admin_client, f"/sync/{system.pk}/start/", {"mode": "full"}, HTTP_ACCEPT_LANGUAGE="pl")
    run = SyncRun.objects.get(system=system)
    assert run.status == "failed"
    assert run.error_message.startswith("WHMCS does not allow API calls from this server's IP address")
    system.refresh_from_db()
    assert system.last_sync_message.startswith("Full sync failed: WHMCS does not allow")
    page = admin_client.get("/sync/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "WHMCS does not allow" not in page
    assert "WHMCS nie zezwala na wywołania API z adresu IP tego serwera 127.0.0.1." in page


@pytest.mark.parametrize("lang", ["pl", "ru"])
def test_stored_texts_know_every_msgid_django_translates(lang):
    """The msgids read from the compiled catalogues are the ones Django's merged catalogue holds
    (checked here against Django's internals, which the product code does not touch)."""
    from django.utils.translation import trans_real

    from forecaster.sync import texts

    catalog = trans_real.translation(lang)._catalog
    django_ids = {k for k in catalog.keys() if isinstance(k, str) and k and "\x04" not in k}  # noqa: SIM118
    assert set(texts._msgids(lang)) == django_ids
    assert "Resumed from step %(step)s." in django_ids


def test_product_code_reads_no_private_translation_internals():
    root = Path(__file__).resolve().parents[2]
    readers = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts and re.search(r"\btrans_real\b|\._catalog\b", path.read_text())
    ]
    assert readers == []
