"""The sandbox's HTTP server: plain standard library, one thread per connection, keep-alive.

Use it in the foreground (what ``forecaster sandbox`` does)::

    server = SandboxServer(generate(DatasetSpec(invoices=1000)), port=8765)
    server.serve_forever()        # until Ctrl-C / SIGTERM (see install_signal_handlers)

or in the background (what tests do, usually through ``forecaster.sandbox.testing``)::

    with SandboxServer(state, port=0) as server:   # port 0: any free port
        httpx.post(server.url, data={...})

Routes: ``/includes/api.php`` (GET and POST) is the API; ``/`` answers an HTML page, as a
WHMCS site root would (so "not an API URL" can be tested); anything else is an HTML 404.
Parameters are read from the query string and from a form-encoded body, the body winning, as
PHP does; a JSON body is ignored, like WHMCS ignores it (§5).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import ssl
import sys
import threading
import time
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from urllib.parse import parse_qsl

from forecaster.sandbox.api import AccessPolicy, Api
from forecaster.sandbox.data import SandboxState
from forecaster.sandbox.faults import Controls, RecordedRequest, RequestLog

API_PATH = "/includes/api.php"
logger = logging.getLogger(__name__)

_HOME_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Client Area - Sandbox Hosting</title></head>
<body><h1>Sandbox Hosting</h1><p>This is a WHMCS-compatible sandbox. Its API lives at
<code>/includes/api.php</code>.</p></body></html>
"""
_NOT_FOUND = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>
"""
_ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Service Unavailable</title></head>
<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your
request. Please try again later.</p><hr><address>Sandbox proxy</address></body></html>
"""
_HTML = "text/html; charset=utf-8"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer, tls: ssl.SSLContext | None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = sandbox
        super().__init__(address, _Handler)
        if tls is not None:
            # The handshake then happens in the connection's own thread, on its first read,
            # so a slow or refusing client cannot hold up the accept loop.
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: object, client_address: tuple) -> None:
        # A client that refuses our certificate or hangs up is routine, not a server error.
        if isinstance(sys.exc_info()[1], ssl.SSLError | ConnectionError | TimeoutError):
            logger.debug("connection from %s ended: %s", client_address, sys.exc_info()[1])
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # answers go out in one write; don't let Nagle delay them
    server_version = "forecaster-sandbox"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.sandbox._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sandbox._track(self.connection, add=False)

    def do_GET(self) -> None:  # http.server's naming
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self) -> None:
        sandbox = self.server.sandbox
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, b"Bad Request", "text/plain")
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        if path != API_PATH:
            # The site root answers a page (a common misconfiguration to detect); no call counted.
            if path in ("/", "/index.php"):
                self._send(200, _HOME_PAGE, _HTML)
            else:
                self._send(404, _NOT_FOUND, _HTML)
            return
        params = dict(parse_qsl(query, keep_blank_values=True))
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if body and content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        sandbox._serve_api(self, params, query)

    def _send(self, status: int, body: bytes, content_type: str, extra: tuple[str, ...] = ()) -> None:
        head = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            *extra,
        ]
        if self.close_connection:
            head.append("Connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


class SandboxServer:
    """A running (or ready to run) sandbox: the API, its controls and its request log.

    ``port=0`` picks a free port; read the chosen one from ``.port`` or ``.url``. ``tls``, an
    ``ssl.SSLContext`` holding a certificate, makes it serve HTTPS. Attributes
    for tests: ``state`` (data and mutations), ``policy`` (access rules, mutable), ``controls``
    (faults), ``requests`` (the log), ``api.bans.unban()``.
    """

    def __init__(
        self,
        state: SandboxState,
        *,
        policy: AccessPolicy | None = None,
        controls: Controls | None = None,
        host: str = "127.0.0.1",
        port: int = 8765,
        legacy_strings: bool = False,
        ignore_orderby: bool = False,
        page_cap: int | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.state = state
        self.controls = controls or Controls()
        self.api = Api(
            state, policy, controls=self.controls, legacy_strings=legacy_strings,
            ignore_orderby=ignore_orderby, page_cap=page_cap,
        )  # fmt: skip
        self.policy = self.api.policy
        self.requests = RequestLog()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), self, tls)
        self.scheme = "https" if tls is not None else "http"
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def identifier(self) -> str:
        """The API credential identifier to connect with."""
        return self.policy.identifier

    @property
    def secret(self) -> str:
        """The API credential secret to connect with."""
        return self.policy.secret

    def paid_invoices(self) -> dict[int, dict]:
        """What a correct sync must end with; see ``SandboxState.paid_invoices``."""
        return self.state.paid_invoices()

    def cash(self, by: str = "month") -> dict:
        """Money received minus returned per (period, currency); see ``SandboxState.cash``."""
        return self.state.cash(by)

    def revenue_truth(self, basis: str = "invoice", by: str = "month") -> dict:
        """Revenue by the product's definition per (period, currency): ``(net, tax)``; see
        ``SandboxState.revenue_truth``."""
        return self.state.revenue_truth(basis, by)

    def pipeline_truth(self, since: date) -> dict:
        """Net of the Unpaid invoices due from ``since`` on, per (due month, currency); see
        ``SandboxState.pipeline_truth``."""
        return self.state.pipeline_truth(since)

    def unban(self, ip: str | None = None) -> None:
        """Lift the failed-login ban of ``ip`` (or of every IP)."""
        self.api.bans.unban(ip)

    @property
    def url(self) -> str:
        """The API endpoint, e.g. ``http://127.0.0.1:8765/includes/api.php``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{API_PATH}"

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (or KeyboardInterrupt)."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def start(self) -> SandboxServer:
        """Serve from a background daemon thread; returns ``self``."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.port}", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections and release the port. Idempotent."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _close(self) -> None:
        self._httpd.server_close()
        # Keep-alive connections would otherwise linger in their threads until they time out.
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _serve_api(self, handler: _Handler, params: dict[str, str], query: str) -> None:
        """Answer one API request on ``handler``: faults, latency, the API, the log."""
        number = self.requests.next_number()
        controls = self.controls
        if controls.latency_ms > 0:
            time.sleep(controls.latency_ms / 1000)
        fault = controls.fault_for(number)
        client_ip = handler.client_address[0]
        action, body, content_type = "", b"", "text/plain; charset=utf-8"
        extra: tuple[str, ...] = ()
        if fault in ("status", "html") and controls.retry_after is not None:
            extra = (f"Retry-After: {controls.retry_after}",)
        if fault == "drop":
            handler.close_connection = True
            status = 0
        elif fault == "status":
            status, body = controls.fail_status, b"Internal Server Error\n"
        elif fault == "html":
            status, body, content_type = controls.html_status, _ERROR_PAGE, _HTML
        else:
            response = self.api.handle(params, client_ip)
            status, action, body = response.status, response.action, response.body
            content_type = response.content_type
            if fault == "truncate":
                body = body[: max(len(body) // 2, 1)]
        # Logged before answering, so a client that got its answer always finds it logged.
        self.requests.add(
            RecordedRequest(
                number=number, method=handler.command, path=API_PATH, query=query,
                params=params, headers={k.lower(): v for k, v in handler.headers.items()},
                client_ip=client_ip, action=action or _guess_action(params), status=status,
                fault=fault,
            )
        )  # fmt: skip
        if status:
            handler._send(status, body, content_type, extra)


def _guess_action(params: dict[str, str]) -> str:
    return "".join(ch for ch in params.get("action", "").lower() if ch.isascii() and ch.isalnum())


def install_signal_handlers() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so ``serve_forever`` stops the same way on both."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
