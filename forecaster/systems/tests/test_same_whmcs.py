"""A second system with the URL and identifier of an existing one would count its WHMCS twice:
refused unless the user says it is another WHMCS (web form and CLI)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from forecaster.systems.models import AccountingSystem
from tests.clients import csrf_post

CREATE = "/systems/new/whmcs/"
URL = "https://billing.example.com/includes/api.php"


def _existing():
    system = AccountingSystem(name="Brand PL", url=URL, identifier="ident-1")
    system.set_secret("s3cret")
    system.save()
    return system


def _form(**overrides):
    data = {
        "name": "Brand PL again",
        "url": "https://BILLING.EXAMPLE.COM/includes/api.php",
        "identifier": "ident-1",
        "secret": "another",
        "step": "100",
        "exchange_rate": "1",
    }
    data.update(overrides)
    return data


def test_the_web_form_refuses_the_same_whmcs_twice_then_accepts_the_confirmation(admin_client):
    _existing()
    refused = csrf_post(admin_client, CREATE, _form())
    page = refused.content.decode()
    assert refused.status_code == 200 and AccountingSystem.objects.count() == 1
    assert "already reads this WHMCS with the same URL and identifier" in page
    assert 'name="another_whmcs"' in page and "counted twice" in page
    accepted = csrf_post(admin_client, CREATE, _form(another_whmcs="on"))
    assert accepted.status_code == 302 and AccountingSystem.objects.count() == 2


def test_another_identifier_on_the_same_url_is_fine(admin_client):
    _existing()
    response = csrf_post(admin_client, CREATE, _form(identifier="ident-2"))
    assert response.status_code == 302


def test_editing_a_system_does_not_clash_with_itself(admin_client):
    system = _existing()
    response = csrf_post(
        admin_client, f"/systems/{system.pk}/edit/", _form(name="Brand PL", secret="", url=URL)
    )
    assert response.status_code == 302


def test_the_cli_refuses_it_too_and_takes_another_whmcs(db):
    _existing()
    args = ["systems", "add", "whmcs", "--name", "Twin", "--url", URL, "--identifier", "ident-1"]
    with pytest.raises(CommandError, match="already reads this WHMCS"):
        call_command(*args, stdin=StringIO("sec\n"), stdout=StringIO(), stderr=StringIO())
    call_command(*args, "--another-whmcs", stdin=StringIO("sec\n"), stdout=StringIO(), stderr=StringIO())
    assert AccountingSystem.objects.filter(identifier="ident-1").count() == 2
