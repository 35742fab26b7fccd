"""A hostile WHMCS on loopback: GetInvoices answers built from raw JSON text, plus misbehaviour.

The sandbox WHMCS holds well-formed invoices only; this server says whatever a test puts in
its mouth, down to the JSON literal (``1e309`` as a number, an id ``"²"``), and can lie about
the count, page forever, answer one byte at a time, or echo the API secret back::

    with HostileWhmcs() as whmcs:
        whmcs.add(invoice(1, total="1e27"))          # one record; any field, any JSON text
        whmcs.total = 10**30                          # claim this totalresults
        whmcs.endless = True                          # every page full of new ids
        whmcs.repeat = True                           # every page the same first records
        whmcs.drip = 3.0                              # one byte of the answer every 3 s
        whmcs.echo = "invalid-ip"                     # "Invalid IP <secret>"; "redirect" to a
                                                      # Location holding both; "error" quoting both
        whmcs.url, whmcs.identifier, whmcs.secret, whmcs.requests

Records are served in the order added (ascending) and reversed for ``order=desc``;
``status=Paid`` filters on each record's ``"status"``. Only loopback, only for tests.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

IDENTIFIER = "hostile-identifier"
SECRET = "hostile-secret-Zq7wX2"


def invoice(whmcs_id: object, **fields: object) -> str:
    """One Paid invoice as JSON text; ``fields`` override (a ``Raw`` value goes in verbatim)."""
    record: dict[str, object] = {
        "id": whmcs_id,
        "invoicenum": f"H/{whmcs_id}",
        "date": "2024-03-01",
        "datepaid": "2024-03-02 10:00:00",
        "status": "Paid",
        "subtotal": "100.00",
        "tax": "23.00",
        "tax2": "0.00",
        "credit": "0.00",
        "total": "123.00",
        "taxrate": "23.000",
        "taxrate2": "0.000",
        "currencycode": "PLN",
        "firstname": "Never Kept",
    }
    record.update(fields)
    parts = []
    for key, value in record.items():
        text = value.text if isinstance(value, Raw) else json.dumps(value)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


class Raw:
    """A JSON literal written as is (``Raw("1e309")`` is a number no float can hold)."""

    def __init__(self, text: str) -> None:
        self.text = text


class HostileWhmcs:
    """See the module docstring."""

    def __init__(self) -> None:
        self.identifier = IDENTIFIER
        self.secret = SECRET
        self.records: list[str] = []
        self.total: object | None = None  # totalresults to claim (any JSON value)
        self.endless = False
        self.repeat = False
        self.drip: float | None = None
        self.echo: str | None = None
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/includes/api.php"

    def add(self, *records: str) -> None:
        self.records.extend(records)

    def reset(self) -> None:
        """Behave again: the right count, finite pages, whole answers, no echo."""
        self.total = None
        self.endless = False
        self.repeat = False
        self.drip = None
        self.echo = None

    def __enter__(self) -> HostileWhmcs:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests += 1
        if params.get("identifier") != self.identifier or params.get("secret") != self.secret:
            return 200, {}, b'{"result":"error","message":"Authentication Failed"}'
        if self.echo in ("invalid-ip", "error"):
            said = f"Invalid IP {self.secret}" if self.echo == "invalid-ip" else self._echoed()
            return 200, {}, ('{"result":"error","message":' + json.dumps(said) + "}").encode()
        if self.echo == "redirect":
            where = f"/login/{quote(self.secret)}/?user={self.identifier}&next={quote(self.secret)}"
            return 302, {"Location": where}, b""
        start = max(0, int(params.get("limitstart", "0") or 0))
        limit = max(1, int(params.get("limitnum", "25") or 25))
        if self.endless:
            rows = [invoice(start + i + 1) for i in range(limit)]
            total = self.total if self.total is not None else 10**9
        else:
            records = self.records
            if params.get("status"):
                wanted = params["status"].lower()
                records = [r for r in records if _status(r) == wanted]
            if params.get("order", "asc").lower() == "desc":
                records = records[::-1]
            rows = records[:limit] if self.repeat else records[start : start + limit]
            total = self.total if self.total is not None else len(records)
        body = (
            '{"result":"success","totalresults":' + json.dumps(total) + ',"startnumber":'
            f'{start},"numreturned":{len(rows)},"invoices":{{"invoice":[' + ",".join(rows) + "]}}"
        )
        return 200, {}, body.encode()

    def _echoed(self) -> str:
        return f"No such action for {self.identifier} with key {self.secret}"


def _status(record: str) -> str:
    try:
        return str(json.loads(record).get("status", "")).lower()
    except ValueError:
        return ""


def _handler(whmcs: HostileWhmcs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # http.server's naming
            length = int(self.headers.get("Content-Length", "0") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
            status, headers, body = whmcs.answer(params)
            drip = whmcs.drip
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if drip:
                    # One byte at a time: every read finishes well within a read timeout.
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(drip)
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

    return Handler
