"""Item: a strict Content-Security-Policy with pages that need no inline script or style, and
Django's password validators (plus "no user name in the password") on every password form."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.clients import csrf_post

pytestmark = pytest.mark.django_db

PAGES = ["/", "/systems/", "/systems/new/whmcs/", "/reports/revenue/", "/accounts/users/", "/sync/"]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", PAGES)
def test_pages_carry_a_strict_policy_and_no_inline_script_or_style(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    html = response.content.decode()
    # Data blocks (json_script) are not executed; any other <script> must load a file.
    assert not re.search(r'<script(?![^>]*\b(src=|type="application/json"))[^>]*>', html), "inline <script>"
    assert "<style" not in html, "inline <style>"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert '"includeIndicatorStyles": false' in html, "htmx must not inject its own <style>"


def test_the_login_page_has_the_policy_too(anon_client, admin_user):
    assert "script-src 'self'" in anon_client.get("/accounts/login/")["Content-Security-Policy"]


def test_setup_refuses_a_password_made_of_the_user_name(anon_client):
    response = csrf_post(
        anon_client,
        "/accounts/setup/",
        {"username": "admin", "password1": "admin12345", "password2": "admin12345"},
    )
    assert response.status_code == 200
    assert b"cannot contain the user name" in response.content
    assert not get_user_model().objects.exists()


def test_the_users_page_refuses_a_password_made_of_the_user_name(admin_client):
    response = csrf_post(
        admin_client,
        "/accounts/users/",
        {"username": "Accountant", "password1": "accountant-2024!", "password2": "accountant-2024!"},
    )
    assert b"cannot contain the user name" in response.content
    assert not get_user_model().objects.filter(username="Accountant").exists()


def test_createadmin_refuses_a_password_made_of_the_user_name(db):
    with pytest.raises(CommandError, match="cannot contain the user name"):
        call_command("createadmin", "--username", "admin", stdin=io.StringIO("admin12345\n"))
