"""Test connection: every diagnosis, over real loopback HTTP (the sandbox WHMCS, or a tiny
server for what a WHMCS never does), through the web button and `forecaster systems test`."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from forecaster.lib import http
from forecaster.lib.tests.loopback import make_cert, serve, silent_server
from forecaster.sandbox.testing import running_sandbox
from forecaster.systems.models import AccountingSystem
from tests.builders import make_system
from tests.clients import csrf_post

CANARY = "CANARY-0c1d2e3f-test-connection"


@pytest.fixture
def whmcs():
    """The sandbox WHMCS whose secret is the canary."""
    with running_sandbox(invoices=40, seed=5, secret=CANARY) as sb:
        yield sb


def system_for(url: str, identifier: str = "id", secret: str = CANARY) -> AccountingSystem:
    return make_system(name="Under test", url=url, identifier=identifier, secret=secret)


def web_test(client, system) -> str:
    client.get(reverse("systems:detail", args=[system.pk]))  # the page with the button sets the CSRF cookie
    response = csrf_post(client, reverse("systems:test", args=[system.pk]), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert CANARY not in body
    return body


def cli_test(system) -> tuple[bool, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("systems", "test", str(system.pk), stdout=out, stderr=err)
    except CommandError as exc:
        text = str(exc)
        ok = False
    else:
        text = out.getvalue()
        ok = True
    assert CANARY not in text + out.getvalue() + err.getvalue()
    assert "\n" not in text.strip()
    return ok, text


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog):
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        assert CANARY not in record.getMessage()


def test_success_shows_how_many_paid_invoices(admin_client, whmcs):
    system = system_for(whmcs.url, whmcs.identifier)
    paid = len(whmcs.paid_invoices())
    body = web_test(admin_client, system)
    assert "Connection works" in body and f"{paid:,} paid invoices" in body
    ok, text = cli_test(system)
    assert ok and f"{paid:,} paid invoices" in text
    # Per test: one GetInvoices, no retries, then one cheap request each to learn whether the
    # role allows GetInvoice and GetTransactions.
    assert whmcs.requests.count == 2 * 3
    assert "GetInvoice: not allowed" in text and "GetInvoice" in body


def test_wrong_secret_is_authentication_failed_and_never_retried(admin_client, whmcs):
    system = system_for(whmcs.url, whmcs.identifier, secret="wrong-secret")
    body = web_test(admin_client, system)
    assert "refused the API credentials" in body and "Manage API Credentials" in body
    assert whmcs.requests.count == 1
    ok, text = cli_test(system)
    assert not ok and "Authentication Failed" in text
    assert whmcs.requests.count == 2


def test_unknown_identifier_is_named(admin_client, whmcs):
    system = system_for(whmcs.url, "nobody")
    assert "Invalid or missing credentials" in web_test(admin_client, system)


def test_ip_not_allowed_shows_the_ip_whmcs_saw_and_where_to_allow_it(admin_client, whmcs):
    whmcs.policy.allowed_ips = {"203.0.113.50"}
    system = system_for(whmcs.url, whmcs.identifier)
    body = web_test(admin_client, system)
    assert "127.0.0.1" in body
    assert "System Settings → General Settings → Security → API IP Access Restriction" in body
    ok, text = cli_test(system)
    assert not ok and "127.0.0.1" in text and "API IP Access Restriction" in text


def test_role_without_getinvoices_is_named(admin_client, whmcs):
    whmcs.policy.permissions = set()
    system = system_for(whmcs.url, whmcs.identifier)
    body = web_test(admin_client, system)
    assert "GetInvoices" in body and "API Roles" in body
    ok, text = cli_test(system)
    assert not ok and "Billing → GetInvoices" in text


def test_html_page_instead_of_the_api(admin_client):
    def page(_req):
        return 200, {"content-type": "text/html; charset=utf-8"}, b"<!doctype html><title>Shop</title>"

    with serve(page) as server:
        system = system_for(server.url())
        body = web_test(admin_client, system)
        assert "HTML page" in body and "/includes/api.php" in body
        ok, text = cli_test(system)
    assert not ok and "HTML page" in text


def test_redirect_http_to_https_offers_the_https_address(admin_client):
    def redirect(req):
        return 301, {"location": f"https://127.0.0.1:{box['port']}{req.path}"}, b""

    box = {}
    with serve(redirect) as server:
        box["port"] = server.port
        system = system_for(server.url())
        body = web_test(admin_client, system)
        ok, text = cli_test(system)
    assert "redirects http:// to https://" in body
    assert f"https://127.0.0.1:{server.port}/includes/api.php" in body
    assert not ok and "https://" in text
    assert len(server.requests) == 2  # the redirect was never followed


def test_self_signed_certificate_is_not_trusted(admin_client, tmp_path):
    cert, key = make_cert(tmp_path, "localhost")
    with serve(lambda _r: (200, {}, b"{}"), tls=(cert, key)) as server:
        system = system_for(server.url())
        body = web_test(admin_client, system)
        ok, text = cli_test(system)
    assert "not trusted" in body and "FORECASTER_CA_BUNDLE" in body
    assert not ok and "not trusted" in text


def test_connection_refused(admin_client):
    with silent_server() as port:
        pass
    system = system_for(f"http://127.0.0.1:{port}/includes/api.php")
    assert "refused the connection" in web_test(admin_client, system)
    ok, text = cli_test(system)
    assert not ok and "refused" in text


def test_dns_failure(admin_client, monkeypatch):
    def no_such_host(host, port):
        raise http.ResolveError("Name or service not known")

    monkeypatch.setattr(http, "system_resolver", no_such_host)
    system = system_for("https://whmcs.nowhere.test/includes/api.php")
    assert "could not be resolved" in web_test(admin_client, system)
    ok, text = cli_test(system)
    assert not ok and "whmcs.nowhere.test" in text


def test_timeout_is_short_and_named(admin_client, monkeypatch):
    monkeypatch.setattr("forecaster.systems.whmcs.client.TEST_TIMEOUT", 0.3)
    with silent_server() as port:
        system = system_for(f"http://127.0.0.1:{port}/includes/api.php")
        assert "did not answer in time" in web_test(admin_client, system)


def test_private_address_refused_when_private_urls_are_off(admin_client, whmcs, settings):
    settings.ALLOW_PRIVATE_URLS = False
    system = system_for(whmcs.url, whmcs.identifier)
    body = web_test(admin_client, system)
    assert "not allowed" in body and "FORECASTER_ALLOW_PRIVATE_URLS" in body
    assert whmcs.requests.count == 0


def test_metadata_address_always_refused(admin_client):
    system = system_for("http://169.254.169.254/includes/api.php")  # stored bypassing the form
    body = web_test(admin_client, system)
    assert "169.254.169.254" in body and "not allowed" in body


def test_undecryptable_secret_is_a_clear_message(admin_client, whmcs):
    system = system_for(whmcs.url, whmcs.identifier)
    AccountingSystem.objects.filter(pk=system.pk).update(secret_ciphertext="v1:dead:AAAA")
    body = web_test(admin_client, system)
    assert "cannot be decrypted" in body and "Secret again" in body


def test_without_htmx_the_result_is_a_message_on_the_system_page(admin_client, whmcs):
    system = system_for(whmcs.url, whmcs.identifier)
    admin_client.get(reverse("systems:detail", args=[system.pk]))
    response = csrf_post(admin_client, reverse("systems:test", args=[system.pk]), {}, follow=True)
    assert "Connection works" in response.content.decode()


def test_debug_error_page_never_shows_the_decrypted_secret(admin_client, monkeypatch, settings):
    """Item 13: with FORECASTER_DEBUG=1, an exception while the decrypted secret is in the
    request's locals shows the DEBUG error page without it."""

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(http, "post_form", explode)
    settings.DEBUG = True
    admin_client.raise_request_exception = False
    system = system_for("https://billing.example/includes/api.php")
    admin_client.get(reverse("systems:detail", args=[system.pk]))
    response = csrf_post(admin_client, reverse("systems:test", args=[system.pk]), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 500
    body = response.content.decode()
    assert "RuntimeError" in body and "_request" in body  # the DEBUG page, down to the request
    assert CANARY not in body


def test_a_count_in_superscript_digits_is_a_clear_answer(admin_client):
    """Item 13: totalresults "²" is no whole number WHMCS sends: a clear diagnosis, no 500."""

    def answer(_req):
        body = b'{"result":"success","totalresults":"\\u00b2","startnumber":0,"numreturned":0,"invoices":[]}'
        return 200, {"content-type": "application/json"}, body

    with serve(answer) as server:
        system = system_for(server.url())
        body = web_test(admin_client, system)
        ok, text = cli_test(system)
    assert "is not a whole number" in body
    assert not ok and "is not a whole number" in text
