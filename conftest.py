"""Fixtures shared by every test (the apps' tests under forecaster/ and the suites under tests/):
users in each role, CSRF-enforcing clients, and a fast password hasher.

Test data comes from ``tests.builders``; ``tests.clients.csrf_post`` posts a form with its token.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.clients import PASSWORD, csrf_client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests log users in often; the production hasher is slow on purpose, so swap it here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_user("admin", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def viewer_user(db):
    return get_user_model().objects.create_user("viewer", password=PASSWORD)


@pytest.fixture
def admin_client(admin_user) -> Client:
    """Logged in as an administrator; CSRF is enforced, so posts must carry the token."""
    return csrf_client(admin_user)


@pytest.fixture
def viewer_client(viewer_user) -> Client:
    return csrf_client(viewer_user)


@pytest.fixture
def anon_client(db) -> Client:
    return csrf_client()
