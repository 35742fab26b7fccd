"""The outbound HTTP module over real loopback sockets: address guard, TLS, redirects, errors."""

from __future__ import annotations

import pytest

from forecaster.lib import http
from forecaster.lib.tests.loopback import dripping_server, make_cert, serve, silent_server


def ok(_req):
    return 200, {"content-type": "application/json"}, b'{"result":"success"}'


def failure(url, *, max_bytes=http.DEFAULT_MAX_BYTES, **client_kw) -> http.OutboundError:
    """The OutboundError a POST to ``url`` raises with a client made from ``client_kw``."""
    with http.make_client(**client_kw) as client, pytest.raises(http.OutboundError) as info:
        http.post_form(client, url, {}, max_bytes=max_bytes)
    return info.value


class FakeResolver:
    """Answers from a script, one list of addresses per call; counts the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host, port):
        self.calls.append(host)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.mark.parametrize(
    ("address", "allow_private", "allowed"),
    [
        ("127.0.0.1", True, True),
        ("127.0.0.1", False, False),
        ("::1", True, True),
        ("::1", False, False),
        ("10.1.2.3", True, True),
        ("192.168.1.5", False, False),
        ("100.64.0.1", False, False),
        ("93.184.216.34", False, True),
        ("2606:4700::1111", False, True),
        ("169.254.169.254", True, False),
        ("::ffff:169.254.169.254", True, False),
        ("fe80::1", True, False),
        ("0.0.0.0", True, False),
        ("::", True, False),
        ("224.0.0.1", True, False),
        ("ff02::1", True, False),
        ("240.0.0.1", True, False),
        ("255.255.255.255", True, False),
        ("::ffff:127.0.0.1", False, False),
    ],
)
def test_address_verdict(address, allow_private, allowed):
    assert (http.address_verdict(address, allow_private=allow_private) is None) is allowed


def test_resolved_name_connects_to_the_checked_address_and_keeps_the_host_header():
    resolver = FakeResolver(["127.0.0.1"])
    with serve(ok) as server, http.make_client(allow_private=True, resolver=resolver) as client:
        response = http.post_form(client, server.url(host="whmcs.test"), {"a": "1"})
    assert response.status_code == 200
    assert server.requests[0].headers["host"] == f"whmcs.test:{server.port}"
    assert server.requests[0].headers["user-agent"].startswith("CommitmentForecaster/")
    assert resolver.calls == ["whmcs.test"]


def test_loopback_refused_when_private_urls_are_off():
    resolver = FakeResolver(["127.0.0.1"])
    with serve(ok) as server:
        error = failure(server.url(host="whmcs.test"), allow_private=False, resolver=resolver)
        literal = failure(server.url(), allow_private=False)  # the IP literal too
    assert error.kind == literal.kind == http.BLOCKED
    assert server.requests == []


@pytest.mark.parametrize("address", ["169.254.169.254", "::ffff:169.254.169.254", "fe80::1"])
def test_metadata_and_link_local_always_refused(address):
    resolver = FakeResolver([address])
    error = failure("http://metadata.test/includes/api.php", allow_private=True, resolver=resolver)
    assert error.kind == http.BLOCKED
    assert address in error.message


def test_one_forbidden_answer_among_several_refuses_the_name():
    resolver = FakeResolver(["127.0.0.1", "169.254.169.254"])
    error = failure("http://mixed.test/includes/api.php", allow_private=True, resolver=resolver)
    assert error.kind == http.BLOCKED


def test_dns_rebinding_is_judged_on_the_answer_used_for_each_connection():
    # First connection: the name answers loopback (allowed); the next connection it answers
    # the metadata address — the second connect is checked anew and refused.
    resolver = FakeResolver(["127.0.0.1"], ["169.254.169.254"])
    with serve(ok) as server:
        url = server.url(host="rebind.test")
        with http.make_client(allow_private=True, resolver=resolver) as client:
            assert http.post_form(client, url, {}).status_code == 200
        error = failure(url, allow_private=True, resolver=resolver)
    assert error.kind == http.BLOCKED
    assert len(server.requests) == 1 and resolver.calls == ["rebind.test", "rebind.test"]


def test_redirects_are_not_followed():
    def redirect(_req):
        return 302, {"location": "http://localhost/elsewhere"}, b""

    with serve(redirect) as server, http.make_client(allow_private=True) as client:
        response = http.post_form(client, server.url(), {})
    assert response.status_code == 302
    assert len(server.requests) == 1


def test_dns_failure_is_named():
    resolver = FakeResolver(http.ResolveError("no such host"))
    error = failure("https://nowhere.test/includes/api.php", allow_private=True, resolver=resolver)
    assert error.kind == http.DNS and "nowhere.test" in error.message


def test_connection_refused_is_named():
    with silent_server() as port:
        pass  # the port is closed again: nothing listens there now
    error = failure(f"http://127.0.0.1:{port}/includes/api.php", allow_private=True)
    assert error.kind == http.REFUSED


def test_timeout_is_named():
    with silent_server() as port:
        error = failure(f"http://127.0.0.1:{port}/includes/api.php", allow_private=True, timeout=0.3)
    assert error.kind == http.TIMEOUT


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_dripping_answer_is_cut_at_the_total_deadline(in_headers):
    """Hardening, item 4: one byte every 0.3 s never trips the 1 s read timeout; the answer
    (80 bytes, about 25 s) must still end at the request's total deadline as a timeout."""
    with (
        dripping_server(0.3, in_headers=in_headers) as port,
        http.make_client(timeout=1, allow_private=True) as client,
        pytest.raises(http.OutboundError) as info,
    ):
        http.post_form(client, f"http://127.0.0.1:{port}/includes/api.php", {}, deadline=1.5)
    assert info.value.kind == http.TIMEOUT


def test_a_quick_answer_is_untouched_by_the_deadline():
    with serve(ok) as server, http.make_client(allow_private=True) as client:
        for _ in range(3):  # a kept-alive connection serves the next request with its own deadline
            assert http.post_form(client, server.url(), {}, deadline=5).status_code == 200


def test_self_signed_tls_is_not_trusted_and_a_ca_bundle_makes_it_pass(tmp_path):
    cert, key = make_cert(tmp_path, "localhost")
    with serve(ok, tls=(cert, key)) as server:
        url = server.url(host="localhost")
        resolver = FakeResolver(["127.0.0.1"])
        error = failure(url, allow_private=True, ca_bundle="", resolver=resolver)
        assert error.kind == http.TLS_UNTRUSTED
        with http.make_client(allow_private=True, ca_bundle=str(cert), resolver=resolver) as client:
            assert http.post_form(client, url, {}).status_code == 200


def test_tls_host_name_mismatch_is_named(tmp_path):
    cert, key = make_cert(tmp_path, "other.test")
    with serve(ok, tls=(cert, key)) as server:
        resolver = FakeResolver(["127.0.0.1"])
        error = failure(
            server.url(host="whmcs.test"), allow_private=True, ca_bundle=str(cert), resolver=resolver
        )
    assert error.kind == http.TLS_HOSTNAME


def test_response_size_is_bounded():
    def big(_req):
        return 200, {"content-type": "application/json"}, b"x" * 5000

    with serve(big) as server:
        error = failure(server.url(), allow_private=True, max_bytes=1000)
    assert error.kind == http.TOO_LARGE


def test_redaction():
    assert http.redact_url("https://u:pw@h.test:8443/includes/api.php?secret=s&x=1") == (
        "https://h.test:8443/includes/api.php?secret=%2A%2A%2A%2A%2A%2A%2A%2A&x=1"
    )
    assert http.redact_params({"identifier": "i", "secret": "s", "accesskey": "k"}) == {
        "identifier": "i",
        "secret": "********",
        "accesskey": "********",
    }
