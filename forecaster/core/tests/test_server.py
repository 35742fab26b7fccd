"""The web server layer: HEAD carries no body on the wire; `serve` stops whatever clients do."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading

import pytest
from django.contrib.auth import get_user_model

from forecaster.core.server import WebServer
from forecaster.core.tests.cli import FORECASTER, fresh_env

INJECTION = "/accounts/login/?next=/x%0D%0AHTTP/1.1%20200%20OK%0D%0AX-Injected:%201"


def read_response(sock_file) -> tuple[str, dict[str, str], bytes]:
    """One HTTP/1.1 response: status line, headers, and the body its Content-Length announces."""
    status = sock_file.readline().decode("latin-1").strip()
    headers: dict[str, str] = {}
    while True:
        line = sock_file.readline().decode("latin-1")
        if line in ("\r\n", "\n", ""):
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, b""


@pytest.fixture
def web_server(transactional_db):
    from forecaster.wsgi import application

    get_user_model().objects.create_user("someone", password="a long enough passphrase 42")
    server = WebServer(application, host="127.0.0.1", port=0, threads=2)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,), daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(timeout=30)


def _exchange(port: int, requests: list[str]) -> tuple[list, bytes]:
    """Send requests on one kept-alive connection; read one response per request, then
    whatever else arrives before the server closes (the final request says Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for req in requests:
            sock.sendall(req.encode("latin-1"))
        sock_file = sock.makefile("rb")
        responses = []
        for req in requests:
            status, headers, _ = read_response(sock_file)
            body = b""
            if not req.startswith("HEAD"):
                body = sock_file.read(int(headers.get("content-length", "0")))
            responses.append((status, headers, body))
        rest = sock_file.read()
    return responses, rest


def test_head_sends_headers_only_and_the_next_response_is_read_correctly(web_server):
    head = f"HEAD {INJECTION} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    (first, second), rest = _exchange(web_server.port, [head, get])
    assert first[0] == "HTTP/1.1 200 OK"
    assert int(first[1]["content-length"]) > 0, "HEAD announces the GET body's length"
    assert "x-injected" not in first[1]
    assert second[0] == "HTTP/1.1 200 OK", f"the response after HEAD is misread: {second[0]!r}"
    assert second[2].startswith(b"ok")
    assert rest == b"", "nothing after the last response"


def _start_serve(tmp_path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [*FORECASTER, "serve", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=fresh_env(tmp_path / "data"),
    )
    port = None
    for line in proc.stdout:
        if "is running at http://127.0.0.1:" in line:
            port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
            break
    assert port, "serve printed its address"
    return proc, port


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_while_a_client_holds_a_keep_alive_connection(tmp_path, signum):
    proc, port = _start_serve(tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, _headers, _ = read_response(sock.makefile("rb"))
            assert status == "HTTP/1.1 200 OK"
            proc.send_signal(signum)  # the connection stays open, as a browser tab keeps it
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail("serve did not stop while a client held a keep-alive connection")
        assert "Stopped." in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
