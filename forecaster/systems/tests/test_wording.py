"""Wording a newcomer stumbled over (issue 10, item 22) and the plain-http warning's reach."""

from __future__ import annotations

import pytest

from tests.builders import make_system

pytestmark = pytest.mark.django_db


def test_the_help_page_says_invoice_numbers_plainly(viewer_client):
    page = viewer_client.get("/systems/help/whmcs/").content.decode()
    assert "invoice (FV) numbers" not in page and "their numbers, dates and amounts" in page


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://billing.example/includes/api.php", True),
        ("http://192.168.1.10/includes/api.php", True),
        ("http://127.0.0.1:8765/includes/api.php", False),
        ("http://localhost/includes/api.php", False),
        ("https://billing.example/includes/api.php", False),
    ],
)
def test_plain_http_is_flagged_only_when_it_crosses_a_network(viewer_client, url, warned):
    system = make_system(name="S", url=url)
    detail = viewer_client.get(f"/systems/{system.pk}/").content.decode()
    listing = viewer_client.get("/systems/").content.decode()
    assert ("plain http://" in detail) is warned
    assert ('title="Not encrypted"' in listing) is warned
