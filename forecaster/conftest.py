"""Fixtures shared by every app's tests: users in each role and CSRF-enforcing clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # noqa: ANN001, ANN202
    """Tests log users in often; the production hasher is slow on purpose, so swap it here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_user("admin", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def viewer_user(db):
    return get_user_model().objects.create_user("viewer", password=PASSWORD)


def _csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    """Logged in as an administrator; CSRF is enforced, so posts must carry the token."""
    return _csrf_client(admin_user)


@pytest.fixture
def viewer_client(viewer_user) -> Client:
    return _csrf_client(viewer_user)


@pytest.fixture
def anon_client(db) -> Client:
    return _csrf_client()


def csrf_post(client: Client, url: str, data: dict | None = None, **extra):
    """POST as a browser would: fetch a CSRF token first, then send it with the form."""
    if "csrftoken" not in client.cookies:
        client.get(url)  # the form page sets the csrftoken cookie
    if "csrftoken" not in client.cookies:
        client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    payload = dict(data or {})
    payload.setdefault("csrfmiddlewaretoken", token)
    return client.post(url, payload, HTTP_X_CSRFTOKEN=token, **extra)
