"""HTTP clients as a browser would use them: CSRF enforced, logged in or not.

The fixtures ``admin_client``, ``viewer_client`` and ``anon_client`` (top-level ``conftest.py``)
are built here; ``csrf_post(client, url, data)`` posts a form with its CSRF token.
"""

from __future__ import annotations

from django.test import Client

PASSWORD = "correct horse battery staple"


def csrf_client(user=None) -> Client:
    """A test client that enforces CSRF, logged in as ``user`` when given."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


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
