"""Every view needs a signed-in user unless it is marked public with ``login_not_required``."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# The views a visitor reaches without signing in, by the URL pattern that leads to them.
PUBLIC = {
    "accounts/login/",  # signing in
    "accounts/setup/",  # creating the first administrator
    "language/",  # the language switcher on the login page
    "healthz",
    "favicon.ico",
    "api/calendar/<str:token>.ics",  # the iCalendar feed: its secret URL authenticates
}


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_only_the_intended_views_are_public():
    public = {
        route
        for route, view in _patterns(get_resolver())
        if not getattr(view, "login_required", True) and not route.startswith("api/")
    }
    assert public == PUBLIC - {"api/calendar/<str:token>.ics"}
    api = {route for route, view in _patterns(get_resolver()) if route.startswith("api/")}
    # The JSON API authenticates with tokens in its own views (401 JSON), never with the session.
    assert all(not view.login_required for route, view in _patterns(get_resolver()) if route in api)


def test_pages_redirect_a_visitor_to_login(anon_client, admin_user):
    for url in ["/", reverse("systems:list"), reverse("costs:parties"), "/documents/"]:
        response = anon_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_an_htmx_request_without_login_gets_401_json(anon_client, admin_user):
    response = anon_client.get(reverse("systems:list"), headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.json() == {"error": "login required"}


def test_public_views_answer_a_visitor(anon_client, admin_user):
    assert anon_client.get("/accounts/login/").status_code == 200
    assert anon_client.get("/healthz").content == b"ok"
    assert anon_client.get("/favicon.ico").status_code == 302
    assert anon_client.get("/api/revenue").status_code == 401  # the API's own answer, JSON
    assert anon_client.get("/api/revenue").json()["error"]
    assert anon_client.get("/api/calendar/fcal_guess.ics").status_code == 404
    assert anon_client.get("/api/openapi.json").status_code == 200
