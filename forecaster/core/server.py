"""The web server layer of ``forecaster serve``: waitress, made correct for HEAD and for stopping.

    server = WebServer(application, host="127.0.0.1", port=8000, threads=8)
    server.serve_until(stop_event)     # returns within about a second of stop_event.set()

* :func:`strip_head_bodies` wraps any WSGI application so a ``HEAD`` response carries headers
  only. waitress writes whatever the application returns, and a body after a HEAD response is
  read by the client as the start of the *next* response on a kept-alive connection.
* :class:`WebServer` runs waitress's event loop in slices and, when told to stop, closes every
  connection (a browser tab holding a keep-alive connection included) and stops its threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from waitress import create_server, wasyncore

# How long a stop may wait for requests in flight before the process leaves anyway.
REQUEST_GRACE_SECONDS = 3
LOOP_SLICE_SECONDS = 0.5


def strip_head_bodies(application: Callable) -> Callable:
    """A WSGI application that answers HEAD with the GET headers and an empty body.

    The body the application produced is consumed (to learn its length when no
    ``Content-Length`` was set) and closed, never sent.
    """

    if getattr(application, "strips_head_bodies", False):
        return application

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "").upper() != "HEAD":
            return application(environ, start_response)
        captured: dict = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], None]:
            captured["status"], captured["headers"], captured["exc_info"] = status, headers, exc_info
            return lambda data: None  # the legacy write() callable: a HEAD body goes nowhere

        body = application(environ, capture)
        size = 0
        try:
            for chunk in body:
                size += len(chunk)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "transfer-encoding"]
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(size)))
        start_response(captured["status"], headers, captured["exc_info"])
        return []

    app.strips_head_bodies = True  # type: ignore[attr-defined]
    return app


class WebServer:
    """waitress on one address, stoppable from a signal handler via a :class:`threading.Event`."""

    def __init__(self, application: Callable, *, host: str, port: int, threads: int = 8) -> None:
        self._map: dict = {}
        self._server = create_server(
            strip_head_bodies(application),
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            ident="forecaster",
            clear_untrusted_proxy_headers=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve_until(self, stop: threading.Event) -> None:
        """Serve requests until ``stop`` is set, then close every connection and stop."""
        try:
            while not stop.is_set() and self._map:
                wasyncore.loop(
                    timeout=LOOP_SLICE_SECONDS,
                    map=self._map,
                    use_poll=self._server.adj.asyncore_use_poll,
                    count=1,
                )
        finally:
            self.close()

    def close(self) -> None:
        """Close the listening socket and every client connection, then stop the threads."""
        wasyncore.close_all(self._map)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=REQUEST_GRACE_SECONDS)
