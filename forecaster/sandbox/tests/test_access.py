"""Authentication and access control, with WHMCS's exact messages and HTTP codes (§4)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from forecaster.sandbox.api import AccessPolicy
from forecaster.sandbox.data import DatasetSpec, generate
from forecaster.sandbox.server import SandboxServer
from forecaster.sandbox.testing import running_sandbox
from forecaster.sandbox.tests.helpers import call


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["result"] == "error"
    return response.status_code, body["message"]


@pytest.fixture
def sb():
    with running_sandbox(invoices=30) as server:
        yield server


def test_wrong_secret(sb):
    assert error(call(sb, secret="nope")) == (403, "Authentication Failed")


def test_missing_secret_or_unknown_identifier(sb):
    assert error(call(sb, secret="")) == (403, "Invalid or missing credentials")
    sb.unban()
    assert error(call(sb, identifier="someone-else")) == (403, "Invalid or missing credentials")
    sb.unban()
    response = call(sb, credentials=False)
    assert error(response) == (403, "Invalid or missing credentials")


def test_identifier_and_secret_also_work_as_username_and_password(sb):
    response = call(sb, credentials=False, username=sb.identifier, password=sb.secret)
    assert response.json()["result"] == "success"
    assert error(call(sb, credentials=False, username=sb.identifier, password="x")) == (
        403, "Authentication Failed",
    )  # fmt: skip


def test_ip_not_in_allow_list(sb):
    sb.policy.allowed_ips = {"192.0.2.10"}
    assert error(call(sb)) == (403, "Invalid IP 127.0.0.1")


def test_ip_check_comes_before_credentials(sb):
    sb.policy.allowed_ips = set()
    assert error(call(sb, secret="wrong")) == (403, "Invalid IP 127.0.0.1")


def test_access_key_bypasses_only_the_ip_check():
    with running_sandbox(invoices=10, allowed_ips=(), access_key="k3y!@#") as sb:
        assert error(call(sb)) == (403, "Invalid IP 127.0.0.1")
        assert call(sb, accesskey="k3y!@#").json()["result"] == "success"
        assert error(call(sb, accesskey="wrong")) == (403, "Invalid Access Key")
        assert error(call(sb, accesskey="k3y!@#", secret="bad")) == (403, "Authentication Failed")


def test_role_without_the_action(sb):
    sb.policy.permissions = {"getclients"}
    assert error(call(sb)) == (403, 'Invalid Permissions: API action "getinvoices" is not allowed')


def test_known_action_the_role_lacks(sb):
    assert error(call(sb, action="GetClients")) == (
        403, 'Invalid Permissions: API action "getclients" is not allowed',
    )  # fmt: skip


def test_unknown_action(sb):
    assert error(call(sb, action="Frobnicate")) == (
        403, 'Invalid API Action: "frobnicate" is not a valid API action',
    )  # fmt: skip


def test_empty_action(sb):
    assert error(call(sb, action="")) == (400, "Empty action request")
    assert error(call(sb, action="--")) == (400, "Empty action request")


def test_errors_before_the_format_is_known_are_nvp(sb):
    response = call(sb, responsetype=None, secret="wrong")
    assert response.status_code == 403
    assert response.text == "result=error;message=Authentication Failed"


def test_errors_follow_the_requested_format(sb):
    response = call(sb, responsetype="xml", secret="wrong")
    assert response.status_code == 403
    assert "<message>Authentication Failed</message>" in response.text


def test_unsupported_response_type(sb):
    response = call(sb, responsetype="yaml")
    assert response.status_code == 200
    assert response.text == (
        'result=error;message=Unsupported API response type format "yaml". '
        "Supported formats include: json, xml, nvp"
    )


def test_nvp_is_refused_for_list_actions(sb):
    response = call(sb, responsetype="nvp")
    assert response.status_code == 200
    assert response.text == (
        "result=error;message=This API action only supports the XML or JSON response type formats"
    )


def test_response_type_is_case_insensitive(sb):
    assert call(sb, responsetype="JSON").json()["result"] == "success"


def test_three_failed_logins_ban_the_ip(sb):
    for _ in range(3):
        assert error(call(sb, secret="wrong")) == (403, "Authentication Failed")
    # Banned now, even with the right secret: why a client must never retry auth errors.
    assert error(call(sb)) == (403, "IP Banned")
    sb.unban()
    assert call(sb).json()["result"] == "success"


def test_a_success_resets_the_failure_count(sb):
    for _ in range(2):
        call(sb, secret="wrong")
    assert call(sb).json()["result"] == "success"
    for _ in range(2):
        call(sb, secret="wrong")
    assert call(sb).json()["result"] == "success"


def test_ban_whitelist_and_disabled_bans(sb):
    sb.policy.ban_whitelist = {"127.0.0.1"}
    for _ in range(5):
        call(sb, secret="wrong")
    assert call(sb).json()["result"] == "success"
    sb.policy.ban_whitelist = set()
    sb.policy.ban_after = 0
    for _ in range(5):
        call(sb, secret="wrong")
    assert call(sb).json()["result"] == "success"


def test_ban_expires():
    now = [1000.0]
    state = generate(DatasetSpec(invoices=5))
    with SandboxServer(state, policy=AccessPolicy(ban_seconds=60), port=0) as sb:
        sb.api.bans._clock = lambda: now[0]
        for _ in range(3):
            call(sb, secret="wrong")
        assert error(call(sb)) == (403, "IP Banned")
        now[0] += 61
        assert call(sb).json()["result"] == "success"


def test_legacy_admin_login_with_md5_password():
    state = generate(DatasetSpec(invoices=5))
    policy = AccessPolicy(admin_username="admin", admin_password="hunter2")
    with SandboxServer(state, policy=policy, port=0) as sb:
        md5 = hashlib.md5(b"hunter2", usedforsecurity=False).hexdigest()
        ok = call(sb, credentials=False, username="admin", password=md5)
        assert ok.json()["result"] == "success"
        plain = call(sb, credentials=False, username="admin", password="hunter2")
        assert error(plain) == (403, "Invalid password provided")
        wrong = call(sb, credentials=False, username="admin", password="0" * 32)
        assert error(wrong) == (403, "Authentication Failed")
        sb.unban()
        # A legacy login is not bound to a role; unknown actions are "Command Not Found".
        missing = call(sb, credentials=False, username="admin", password=md5, action="Nope")
        assert error(missing) == (200, "Command Not Found")
        sb.policy.admin_api_access = False
        assert error(call(sb, credentials=False, username="admin", password=md5)) == (
            403, "Access Denied",
        )  # fmt: skip
