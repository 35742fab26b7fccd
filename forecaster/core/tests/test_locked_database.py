"""Item: reads never need a write; a locked database is a clear 503 (JSON on the API), never an
HTML 500; /healthz checks the database for real."""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from forecaster.accounts.models import ApiToken
from forecaster.core.tests.test_server import _start_serve
from tests.clients import PASSWORD, csrf_post


@pytest.fixture
def short_busy_timeout(transactional_db):
    """The service's connection gives up after 0.5 s instead of 30 s (the lock outlasts both)."""
    if connection.vendor != "sqlite" or connection.settings_dict["NAME"] in ("", ":memory:"):
        pytest.skip("needs the SQLite database file that another connection can lock")
    if "mode=memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs the SQLite database file that another connection can lock")
    options = connection.settings_dict["OPTIONS"]
    usual = options.get("timeout")
    connection.close()
    options["timeout"] = 0.5
    yield
    connection.close()
    options["timeout"] = usual


@contextlib.contextmanager
def write_lock():
    """Another program holds the write lock on the service's database (as sqlite3's shell
    with BEGIN IMMEDIATE would)."""
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=5, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_the_read_only_api_answers_while_the_database_is_locked(short_busy_timeout):
    _token, raw = ApiToken.issue("BI")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=True)
    with write_lock():
        response = api.get("/api/revenue?by=year")
        assert response.status_code == 200, response.content
        assert response.json()["by"] == "year"
    assert ApiToken.objects.get().last_used_at is None, "gave up the write instead of waiting"
    api.get("/api/revenue?by=year")
    assert ApiToken.objects.get().last_used_at is not None, "recorded once the database is free"


def test_login_while_the_database_is_locked_is_a_clear_503(short_busy_timeout):
    get_user_model().objects.create_user("owner", password=PASSWORD, is_staff=True)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/login/")
    with write_lock():
        response = csrf_post(client, "/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 503
    assert b"The database is busy" in response.content
    assert response["Retry-After"]


def test_sync_start_while_the_database_is_locked_is_a_clear_503(short_busy_timeout):
    from forecaster.systems.models import AccountingSystem

    admin = get_user_model().objects.create_user("owner", password=PASSWORD, is_staff=True, is_superuser=True)
    system = AccountingSystem(name="S", url="https://billing.example.com/includes/api.php", identifier="i")
    system.set_secret("s3cret")
    system.save()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(admin)
    client.get(f"/systems/{system.pk}/")
    with write_lock():
        response = csrf_post(client, f"/sync/{system.pk}/start/", {"mode": "full"})
    assert response.status_code == 503
    assert b"The database is busy" in response.content


def test_api_errors_are_json_while_the_database_is_locked(short_busy_timeout, monkeypatch):
    _token, raw = ApiToken.issue("BI")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("forecaster.reports.api.totals_by_system", locked)
    response = api.get("/api/systems")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "busy" in response.json()["error"]


def _healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_healthz_says_not_ok_once_the_database_is_damaged(tmp_path):
    proc, port = _start_serve(tmp_path)
    try:
        assert _healthz(port) == (200, "ok")
        db = tmp_path / "data" / "forecaster.sqlite3"
        with contextlib.closing(sqlite3.connect(db)) as own:  # every page into the main file
            own.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = bytearray(db.read_bytes())
        page = int.from_bytes(raw[16:18], "big")
        raw[page:] = b"\xa5" * (len(raw) - page)  # every page after the schema page is garbage
        db.write_bytes(bytes(raw))
        status, body = _healthz(port)
        assert status == 503, body
        assert body.startswith("not ok")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
