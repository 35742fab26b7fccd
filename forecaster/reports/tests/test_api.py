"""The read-only JSON API: bearer tokens (created once, stored hashed, revocable) and JSON errors."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from forecaster.accounts.models import ApiToken
from tests.builders import inv, make_system
from tests.clients import csrf_post

pytestmark = pytest.mark.django_db
CANARY = "canary-secret-91d2"


@pytest.fixture
def data():
    us = make_system(name="US", rate="1", step=250, auto_sync=True)
    us.set_secret(CANARY)
    us.save()
    inv(us, 1, "2024-01-01", "10.01", "2.30")
    inv(us, 2, "2024-02-01", "5.00", "1.15")
    return us


def create_token(admin_client, name="BI") -> str:
    """Create a token through the UI, as an administrator would, and read it off the page."""
    page = csrf_post(admin_client, "/reports/tokens/", {"name": name})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    return re.search(r'id="new-token">([^<]+)<', page.content.decode()).group(1)


def api(path, token=None):
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(path, **headers)


def test_token_is_shown_once_and_stored_hashed(admin_client, data):
    token = create_token(admin_client)
    row = ApiToken.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in admin_client.get("/reports/tokens/").content.decode()
    assert row.hint in admin_client.get("/reports/tokens/").content.decode()


def test_revenue_api_equals_the_cli_json(admin_client, data, capsys):
    token = create_token(admin_client)
    r = api("/api/revenue?by=month&from=2024-01-01", token)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    call_command("report", "revenue", "--by", "month", "--from", "2024-01-01", "--format", "json")
    assert r.json() == json.loads(capsys.readouterr().out)
    assert r.json()["total"] == {"invoices": 2, "net": "15.01", "tax": "3.45", "gross": "18.46"}
    assert ApiToken.objects.get().last_used_at is not None


def test_systems_api_never_returns_a_secret_or_identifier(admin_client, data):
    token = create_token(admin_client)
    r = api("/api/systems", token)
    body = r.content.decode()
    assert r.status_code == 200
    assert CANARY not in body and data.secret_ciphertext not in body and "id-US" not in body
    item = r.json()["systems"][0]
    assert item["name"] == "US" and item["step"] == 250 and item["auto_sync"] is True
    assert item["invoices"] == 2 and item["gross"] == "18.46" and item["exchange_rate"] == "1.000000"
    assert "identifier" not in item and "secret" not in json.dumps(item)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "Token abc"])
def test_nothing_is_served_without_a_valid_token(data, header):
    client = Client()
    for path in ["/api/revenue", "/api/systems"]:
        r = client.get(path, **({"HTTP_AUTHORIZATION": header} if header else {}))
        assert r.status_code == 401 and r.json()["error"]
        assert r["WWW-Authenticate"].startswith("Bearer")


def test_a_logged_in_session_is_not_an_api_token(viewer_client, data):
    assert viewer_client.get("/api/revenue").status_code == 401


def test_revoked_token_stops_working(admin_client, data):
    token = create_token(admin_client)
    assert api("/api/revenue", token).status_code == 200
    row = ApiToken.objects.get()
    csrf_post(admin_client, f"/reports/tokens/{row.pk}/revoke/")
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert api("/api/revenue", token).status_code == 401
    assert api("/api/systems", token).status_code == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2024-02-30", "no such date"),
        ("to=yesterday", "YYYY-MM-DD"),
        ("from=", "empty"),
        ("to=%202024-01-01", "YYYY-MM-DD"),
        ("by=week", "by"),
        ("basis=due", "basis"),
    ],
)
def test_bad_parameters_answer_400_json(admin_client, data, query, message):
    token = create_token(admin_client)
    r = api("/api/revenue?" + query, token)
    assert r.status_code == 400 and message in r.json()["error"]


@pytest.mark.parametrize("system", ["999", "99999999999999999999999", "%00", "Nowhere"])
def test_unknown_system_answers_404_json(admin_client, data, system):
    token = create_token(admin_client)
    r = api("/api/revenue?system=" + system, token)
    assert r.status_code == 404
    assert "no such system" in r.json()["error"] or "no system" in r.json()["error"]


def test_inverted_range_is_an_empty_report(admin_client, data):
    token = create_token(admin_client)
    r = api("/api/revenue?from=2024-03-01&to=2024-01-01", token)
    assert r.status_code == 200 and r.json()["rows"] == [] and r.json()["total"]["invoices"] == 0


def test_system_by_name_or_id(admin_client, data):
    token = create_token(admin_client)
    by_name = api("/api/revenue?system=US&by=year", token).json()
    by_id = api(f"/api/revenue?system={data.pk}&by=year", token).json()
    assert by_name == by_id and by_id["rows"][0]["period"] == "2024"


def test_api_is_read_only_and_unknown_paths_are_json(admin_client, data):
    token = create_token(admin_client)
    r = Client().post("/api/revenue", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 405 and r.json()["error"]
    assert api("/api/nothing", token).status_code == 404
    assert api("/api/nothing", token).json()["error"]


def test_openapi_schema_describes_the_endpoints(db):
    r = Client().get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/revenue", "/api/systems"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
