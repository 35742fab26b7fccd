"""The language of the web UI: browser default, switcher, stored per user."""

from __future__ import annotations

import re

from forecaster.language.models import UserLanguage
from tests.clients import csrf_post


def _switch(client, data: dict):
    """POST the menu's switcher as a browser does: the page it sits on set the CSRF cookie."""
    client.get("/accounts/login/" if not client.session.get("_auth_user_id") else "/")
    return csrf_post(client, "/language/", data)


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_the_browser_language_is_the_default(admin_client):
    assert _lang(admin_client.get("/", HTTP_ACCEPT_LANGUAGE="pl,en;q=0.5")) == "pl"
    assert _lang(admin_client.get("/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")) == "ru"
    assert _lang(admin_client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE")) == "en"


def test_the_switcher_stores_the_language_for_the_user(admin_client, admin_user):
    response = _switch(admin_client, {"language": "ru", "next": "/systems/"})
    assert response.status_code == 302 and response["Location"] == "/systems/"
    assert UserLanguage.objects.get(user=admin_user).language == "ru"
    # Another browser (no cookie) saying it prefers English still gets the stored choice.
    admin_client.cookies.clear()
    admin_client.force_login(admin_user)
    page = admin_client.get("/systems/", HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(page) == "ru"
    assert 'value="ru" lang="ru"' in page.content.decode()


def test_the_switcher_needs_csrf_and_a_known_language(admin_client):
    assert admin_client.post("/language/", {"language": "pl"}).status_code == 403
    assert _switch(admin_client, {"language": "xx"}).status_code == 400


def test_the_switcher_never_redirects_off_site(admin_client):
    response = _switch(admin_client, {"language": "pl", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_login_page_has_the_switcher_for_anonymous_visitors(anon_client, admin_user):
    page = anon_client.get("/accounts/login/")
    assert 'action="/language/"' in page.content.decode()
    response = _switch(anon_client, {"language": "pl", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert _lang(anon_client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")) == "pl"


def test_the_current_page_is_marked_in_the_menu(admin_client):
    page = admin_client.get("/reports/revenue/").content.decode()
    assert re.search(r'href="/reports/revenue/" aria-current="page"', page)
    assert page.count('aria-current="page"') == 1
