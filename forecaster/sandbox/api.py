"""WHMCS external-API request handling, independent of any web framework.

``Api(state, policy).handle(params, client_ip)`` takes the request parameters (query string
and form body already merged) and returns an :class:`ApiResponse` (HTTP status, body bytes,
content type). Section numbers (§) refer to the WHMCS API reference in the project docs; the
sandbox README lists each reproduced behaviour.

The checks run in WHMCS's order: IP ban, access key / IP allow-list, credentials, action,
role permission, response type, then the action itself. Errors raised before the response type
is settled come back in the format the caller asked for, or NVP when it asked for none (§4).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from forecaster.sandbox.data import (
    PAID,
    PAYMENT_METHODS,
    STATUSES,
    ZERO_DATETIME,
    SandboxState,
    Transaction,
    datetime_str,
    day_str,
    money,
    rate,
)
from forecaster.sandbox.faults import Controls

DEFAULT_IDENTIFIER = "sandbox-identifier"
DEFAULT_SECRET = "sandbox-secret"
LOOPBACK = frozenset({"127.0.0.1", "::1"})

# Actions the sandbox answers. Other real action names exist (so a role can lack them) but
# are not implemented here.
IMPLEMENTED = frozenset({"getinvoices", "getinvoice", "gettransactions"})
KNOWN_ACTIONS = IMPLEMENTED | frozenset(
    {
        "addclient", "addinvoicepayment", "applycredit", "createinvoice", "deleteclient",
        "getadminusers", "getclients", "getclientsdetails", "getcurrencies", "getorders",
        "getpaymentmethods", "getproducts", "getsystemstats", "gettransactions",
        "updateinvoice", "whmcsdetails",
    }
)  # fmt: skip
# Actions whose default response type is XML rather than NVP (§1).
_XML_BY_DEFAULT = frozenset(
    {"getinvoices", "getinvoice", "gettransactions", "getclients", "getclientsdetails",
     "getorders", "getproducts", "getcurrencies", "getpaymentmethods"}
)  # fmt: skip
# Lists cannot be rendered as NVP (§1).
_NO_NVP = _XML_BY_DEFAULT
FORMATS = ("json", "xml", "nvp")
_CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
    "nvp": "text/plain; charset=utf-8",
}
_MD5_HEX = re.compile(r"[0-9a-f]{32}")
# What WHMCS answers for a whole JSON response when one record in it holds malformed UTF-8.
JSON_ENCODING_ERROR = (
    "Error generating JSON encoded response: Malformed UTF-8 characters, possibly incorrectly encoded"
)
# Appended to the last name of a client with a malformed record: two bytes that are not UTF-8
# (0xC3 0x28): 0xC3 is carried as a lone surrogate until the XML is encoded with
# "surrogateescape", so the answer holds the raw byte, as WHMCS's would.
_BAD_BYTES = "\udcc3("
_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


@dataclass
class AccessPolicy:
    """Who may call, as a WHMCS administrator would have configured it. Mutable at run time.

    ``permissions`` is the API role: lower-case action names it allows. ``allowed_ips`` is the
    "API IP Access Restriction" list (exact addresses; ``None`` turns the check off).
    ``access_key`` is ``$api_access_key``: a request carrying it skips the IP check (only).
    ``admin_username``/``admin_password`` enable the legacy login (password sent as its MD5).
    After ``ban_after`` consecutive failed logins an IP is banned for ``ban_seconds``, unless
    it is in ``ban_whitelist``; ``ban_after=0`` disables bans.
    """

    identifier: str = DEFAULT_IDENTIFIER
    secret: str = DEFAULT_SECRET
    permissions: set[str] = field(default_factory=lambda: {"getinvoices"})
    allowed_ips: set[str] | None = field(default_factory=lambda: set(LOOPBACK))
    access_key: str | None = None
    admin_username: str | None = None
    admin_password: str | None = None
    admin_api_access: bool = True
    ban_after: int = 3
    ban_seconds: float = 15 * 60
    ban_whitelist: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ApiResponse:
    """What to send back: HTTP ``status``, ``body`` bytes, ``content_type``; ``action`` is
    the normalised action name (for the request log)."""

    status: int
    body: bytes
    content_type: str
    action: str = ""


class _Refusal(Exception):
    def __init__(self, message: str, status: int = 403, key: str = "result") -> None:
        super().__init__(message)
        self.message, self.status, self.key = message, status, key


class BanList:
    """Consecutive failed logins per IP, and bans (§4: three failures → ``IP Banned``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def is_banned(self, ip: str) -> bool:
        with self._lock:
            until = self._until.get(ip)
            if until is None:
                return False
            if self._clock() >= until:
                del self._until[ip]
                return False
            return True

    def failed(self, ip: str, policy: AccessPolicy) -> None:
        if policy.ban_after <= 0 or ip in policy.ban_whitelist:
            return
        with self._lock:
            count = self._failures.get(ip, 0) + 1
            if count >= policy.ban_after:
                self._until[ip] = self._clock() + policy.ban_seconds
                count = 0
            self._failures[ip] = count

    def succeeded(self, ip: str) -> None:
        with self._lock:
            self._failures.pop(ip, None)

    def unban(self, ip: str | None = None) -> None:
        """Lift the ban (and failure count) of ``ip``, or of every IP."""
        with self._lock:
            if ip is None:
                self._until.clear()
                self._failures.clear()
            else:
                self._until.pop(ip, None)
                self._failures.pop(ip, None)


class Api:
    """The WHMCS API over one :class:`SandboxState`.

    ``legacy_strings=True`` renders every value as a string (ids, counters, ``paymethodid``),
    as older WHMCS versions did (§2); the default is WHMCS 8.x typing. ``ignore_orderby=True``
    behaves like WHMCS before 7.7: ``orderby``/``order`` are ignored and GetInvoices answers in
    its fixed order (``duedate DESC``). ``page_cap`` returns at most that many rows per
    GetInvoices request, whatever ``limitnum`` asks.
    """

    def __init__(
        self,
        state: SandboxState,
        policy: AccessPolicy | None = None,
        *,
        controls: Controls | None = None,
        legacy_strings: bool = False,
        ignore_orderby: bool = False,
        page_cap: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.ignore_orderby = ignore_orderby
        self.page_cap = page_cap
        self.policy = policy or AccessPolicy()
        self.controls = controls or Controls()
        self.legacy_strings = legacy_strings
        self.bans = BanList(clock)
        self._client_json: dict[int, tuple[str, str]] = {}
        self._notes_json: list[str] = []
        number_format = state.spec.paid_number_format
        self._plain_numbers = _json_str(number_format) == f'"{number_format}"'

    # ----- the pipeline -----------------------------------------------------------------------

    def handle(self, params: Mapping[str, str], client_ip: str) -> ApiResponse:
        """Answer one API request; never raises for bad input."""
        asked = params.get("responsetype", "").strip().lower()
        error_format = asked if asked in FORMATS else "nvp"
        action = _normalise_action(params.get("action", ""))
        try:
            fmt = self._accepted_format(params, client_ip, action, asked)
        except _Refusal as refusal:
            return self._error(error_format, action, refusal)
        handlers = {
            "getinvoices": self._get_invoices,
            "getinvoice": self._get_invoice,
            "gettransactions": self._get_transactions,
        }
        if action in handlers:
            return handlers[action](params, fmt)
        return self._error(fmt, action, _Refusal(f'The sandbox does not implement "{action}"', 200))

    def _accepted_format(self, params: Mapping[str, str], client_ip: str, action: str, asked: str) -> str:
        """The answer format of an admitted, allowed action; raises ``_Refusal`` otherwise."""
        legacy_login = self._admit(params, client_ip)
        if not action:
            raise _Refusal("Empty action request", 400)
        if action not in KNOWN_ACTIONS:
            if legacy_login:
                raise _Refusal("Command Not Found", 200)
            raise _Refusal(f'Invalid API Action: "{action}" is not a valid API action')
        if not legacy_login and action not in self.policy.permissions:
            raise _Refusal(f'Invalid Permissions: API action "{action}" is not allowed')
        fmt = asked or ("xml" if action in _XML_BY_DEFAULT else "nvp")
        if fmt not in FORMATS:
            raise _Refusal(
                f'Unsupported API response type format "{asked}". Supported formats include: json, xml, nvp',
                200,
            )
        if fmt == "nvp" and action in _NO_NVP:
            raise _Refusal("This API action only supports the XML or JSON response type formats", 200)
        return fmt

    def _admit(self, params: Mapping[str, str], ip: str) -> bool:
        """Access control and authentication; returns True for a legacy admin login."""
        policy = self.policy
        if self.bans.is_banned(ip):
            raise _Refusal("IP Banned")
        key = params.get("accesskey")
        if policy.access_key is not None and key is not None:
            if not hmac.compare_digest(key.encode(), policy.access_key.encode()):
                raise _Refusal("Invalid Access Key")
        elif policy.allowed_ips is not None and ip not in policy.allowed_ips:
            raise _Refusal(f"Invalid IP {ip}")
        try:
            legacy = self._authenticate(params)
        except _Refusal:
            self.bans.failed(ip, policy)
            raise
        self.bans.succeeded(ip)
        if legacy and not policy.admin_api_access:
            raise _Refusal("Access Denied")
        return legacy

    def _authenticate(self, params: Mapping[str, str]) -> bool:
        policy = self.policy
        identifier, secret = params.get("identifier"), params.get("secret")
        if identifier:
            if not secret or not _same(identifier, policy.identifier):
                raise _Refusal("Invalid or missing credentials")
            if not _same(secret, policy.secret):
                raise _Refusal("Authentication Failed")
            return False
        username, password = params.get("username"), params.get("password")
        if not username:
            raise _Refusal("Invalid or missing credentials")
        # username/password are first tried as identifier/secret (forwards compatibility, §1)…
        if _same(username, policy.identifier):
            if password and _same(password, policy.secret):
                return False
            raise _Refusal("Authentication Failed")
        # …then as an administrator's name and the MD5 of its password.
        if policy.admin_username is None or not _same(username, policy.admin_username):
            raise _Refusal("Authentication Failed")
        given = (password or "").lower()
        if not _MD5_HEX.fullmatch(given):
            raise _Refusal("Invalid password provided")
        expected = hashlib.md5((policy.admin_password or "").encode(), usedforsecurity=False)
        if not _same(given, expected.hexdigest()):
            raise _Refusal("Authentication Failed")
        return True

    # ----- actions ----------------------------------------------------------------------------

    def _get_invoices(self, params: Mapping[str, str], fmt: str) -> ApiResponse:
        start = max(_php_int(params.get("limitstart")), 0)
        limit = _php_int(params.get("limitnum"))
        # 0, absent or junk → 25 (§2). A negative limit is unconfirmed; we treat it as junk.
        if limit <= 0:
            limit = 25
        if self.page_cap:
            limit = min(limit, self.page_cap)
        userid = _php_int(params.get("userid"))
        status = params.get("status", "").strip()
        orderby = params.get("orderby", "").strip().lower()
        order = "desc" if params.get("order", "").strip().lower() == "desc" else "asc"
        if self.ignore_orderby:
            orderby, order = "pre-7.7", "desc"
        state = self.state
        with state.lock:
            hook = self.controls.before_getinvoices
            if hook is not None:
                hook(state, params)
            total, rows = state.query(
                userid=userid, status=status, orderby=orderby, order=order,
                start=start, limit=limit,
            )  # fmt: skip
            bad = state.malformed_clients
            if fmt == "json" and bad and any(state.userid[r] in bad for r in rows):
                return self._error(fmt, "getinvoices", _Refusal(JSON_ENCODING_ERROR, 200))
            if fmt == "json" and not self.legacy_strings:
                body = self._invoices_json(total, start, rows)
                return ApiResponse(200, body, _CONTENT_TYPES["json"], "getinvoices")
            invoices = [self._malformed(state.row_dict(r), state.userid[r]) for r in rows]
        payload: dict = {
            "result": "success",
            "totalresults": total,
            "startnumber": start,
            "numreturned": len(invoices),
            # An empty list is [] in 8.x, not {"invoice": []} (§2).
            "invoices": {"invoice": invoices} if invoices else [],
        }
        return self._render(fmt, "getinvoices", payload)

    def _invoices_json(self, total: int, start: int, rows: list[int]) -> bytes:
        # The hot path of every sync, so rows are formatted straight into JSON text. A test
        # checks it against json.dumps of row_dict() for every row of a dataset.
        head = f'{{"result":"success","totalresults":{total},"startnumber":{start},"numreturned":{len(rows)},'
        if not rows:
            return (head + '"invoices":[]}').encode()
        parts = [self._row_json(r) for r in rows]
        text = head + '"invoices":{"invoice":[' + ",".join(parts) + "]}}"
        # PHP's json_encode escapes "/" by default; the JSON stays equivalent.
        return text.replace("/", "\\/").encode()

    def _row_json(self, row: int) -> str:
        s = self.state
        userid = s.userid[row]
        names, currency = self._client_fragments(userid)
        pmid = s.paymethodid[row]
        num = s.invoicenum(row)
        # Only the configurable number format could need escaping; don't pay for json.dumps
        # on every row when it cannot.
        num = f'"{num}"' if self._plain_numbers else _json_str(num)
        capture, refunded, cancelled = (s.last_capture[row], s.date_refunded[row], s.date_cancelled[row])
        return (
            f'{{"id":{s.id[row]},"userid":{userid},{names},'
            f'"invoicenum":{num},"date":"{day_str(s.date[row])}",'
            f'"duedate":"{day_str(s.duedate[row])}","datepaid":"{datetime_str(s.datepaid[row])}",'
            f'"last_capture_attempt":"{datetime_str(capture) if capture else ZERO_DATETIME}",'
            f'"date_refunded":"{datetime_str(refunded) if refunded else ZERO_DATETIME}",'
            f'"date_cancelled":"{datetime_str(cancelled) if cancelled else ZERO_DATETIME}",'
            f'"subtotal":"{money(s.subtotal[row])}","credit":"{money(s.credit[row])}",'
            f'"tax":"{money(s.tax[row])}","tax2":"{money(s.tax2[row])}",'
            f'"total":"{money(s.total[row])}","taxrate":"{rate(s.taxrate[row])}",'
            f'"taxrate2":"{rate(s.taxrate2[row])}","status":"{STATUSES[s.status[row]]}",'
            f'"paymentmethod":"{PAYMENT_METHODS[s.paymethod[row]]}",'
            f'"paymethodid":{"null" if pmid < 0 else pmid},'
            f'"notes":{self._note_json(s.notes[row])},'
            f'"created_at":"{datetime_str(s.created[row])}",'
            f'"updated_at":"{datetime_str(s.updated[row])}",{currency}}}'
        )

    def _note_json(self, index: int) -> str:
        cache = self._notes_json
        if index >= len(cache):
            cache.extend(_json_str(t) for t in self.state.note_texts[len(cache) :])
        return cache[index]

    def _client_fragments(self, userid: int) -> tuple[str, str]:
        cached = self._client_json.get(userid)
        if cached is None:
            client = self.state.clients[userid]
            cached = (
                f'"firstname":{_json_str(client.firstname)},'
                f'"lastname":{_json_str(client.lastname)},'
                f'"companyname":{_json_str(client.companyname)}',
                f'"currencycode":{_json_str(client.currency.code)},'
                f'"currencyprefix":{_json_str(client.currency.prefix)},'
                f'"currencysuffix":{_json_str(client.currency.suffix)}',
            )
            self._client_json[userid] = cached
        return cached

    def _get_invoice(self, params: Mapping[str, str], fmt: str) -> ApiResponse:
        state = self.state
        with state.lock:
            try:
                row = state.row_of(_php_int(params.get("invoiceid")))
            except KeyError:
                row = -1
            if row < 0 or not state.is_visible(row):
                # GetInvoice's not-found error says "status", not "result" (§4).
                missing = _Refusal("Invoice ID Not Found", 200, "status")
                return self._error(fmt, "getinvoice", missing)
            if fmt == "json" and state.userid[row] in state.malformed_clients:
                return self._error(fmt, "getinvoice", _Refusal(JSON_ENCODING_ERROR, 200))
            inv = self._malformed(state.row_dict(row), state.userid[row])
            paid = state.status[row] == PAID
            txs = state._transactions(row)
            items = self._items(inv, state.item_kind(inv["id"]))
        payload = {
            "result": "success",
            "invoiceid": inv["id"],
            "invoicenum": inv["invoicenum"],
            "userid": inv["userid"],
            "date": inv["date"],
            "duedate": inv["duedate"],
            "datepaid": inv["datepaid"],
            "lastcaptureattempt": inv["last_capture_attempt"],
            "subtotal": inv["subtotal"],
            "credit": inv["credit"],
            "tax": inv["tax"],
            "tax2": inv["tax2"],
            "total": inv["total"],
            "balance": "0.00" if paid else inv["total"],
            "taxrate": inv["taxrate"],
            "taxrate2": inv["taxrate2"],
            "status": inv["status"],
            "paymentmethod": inv["paymentmethod"],
            "notes": inv["notes"],
            "ccgateway": False,
            "items": {"item": items},
            # An empty list is "" here (the official example), not [] (§7 GetInvoice).
            "transactions": {"transaction": [self._tx_dict(t, inv["userid"]) for t in txs]} if txs else "",
        }
        return self._render(fmt, "getinvoice", payload)

    def _items(self, inv: dict, kind: tuple) -> list[dict]:
        if not kind:
            return [
                {
                    "id": inv["id"], "type": "Hosting", "relid": 0,
                    "description": f"Web hosting (invoice {inv['id']})",
                    "amount": inv["subtotal"], "taxed": int(inv["taxrate"] != "0.000"),
                }
            ]  # fmt: skip
        if kind[0] == "AddFunds":
            return [{"id": inv["id"], "type": "AddFunds", "relid": 0, "description": "Add Funds",
                     "amount": inv["subtotal"], "taxed": 0}]  # fmt: skip
        state = self.state
        items = []
        for child in kind[1]:
            r = state.row_of(child)
            gross = state.subtotal[r] + state.tax[r] + state.tax2[r]
            items.append({"id": child, "type": "Invoice", "relid": child, "description": f"Invoice #{child}",
                          "amount": money(gross), "taxed": 0})  # fmt: skip
        return items

    def _tx_dict(self, t: Transaction, userid: int) -> dict:
        # Every value a string, as in the official GetTransactions example (§7).
        return {
            "id": str(t.id),
            "userid": str(userid),
            "currency": "0",
            "gateway": "banktransfer",
            "date": datetime_str(t.secs),
            "description": t.description,
            "amountin": money(t.amountin),
            "fees": "0.00",
            "amountout": money(t.amountout),
            "rate": "1.00000",
            "transid": f"TX{t.id}",
            "invoiceid": str(t.invoice_id),
            "refundid": str(t.refundid),
        }

    def _get_transactions(self, params: Mapping[str, str], fmt: str) -> ApiResponse:
        # Filters invoiceid, clientid, transid; no paging: unfiltered, every transaction (§7).
        state = self.state
        invoice_id = _php_int(params.get("invoiceid"))
        userid = _php_int(params.get("clientid"))
        transid = params.get("transid", "").strip()
        with state.lock:
            if invoice_id:
                try:
                    row = state.row_of(invoice_id)
                    txs = state._transactions(row) if state.is_visible(row) else []
                except KeyError:
                    txs = []
            else:
                txs = state.all_transactions(userid=userid)
            if transid:
                txs = [t for t in txs if f"TX{t.id}" == transid]
            owners = {t.invoice_id: state.userid[state.row_of(t.invoice_id)] for t in txs}
            if fmt == "json" and any(u in state.malformed_clients for u in owners.values()):
                return self._error(fmt, "gettransactions", _Refusal(JSON_ENCODING_ERROR, 200))
            rows = [self._tx_dict(t, owners[t.invoice_id]) for t in txs]
        payload = {
            "result": "success",
            "totalresults": len(rows),
            "startnumber": 0,
            "numreturned": len(rows),
            "transactions": {"transaction": rows} if rows else [],
        }
        return self._render(fmt, "gettransactions", payload)

    def _malformed(self, inv: dict, userid: int) -> dict:
        if userid in self.state.malformed_clients:
            inv = {**inv, "lastname": inv["lastname"] + _BAD_BYTES}
        return inv

    # ----- rendering --------------------------------------------------------------------------

    def _error(self, fmt: str, action: str, refusal: _Refusal) -> ApiResponse:
        payload = {refusal.key: "error", "message": refusal.message}
        rendered = self._render(fmt, action, payload)
        return ApiResponse(refusal.status, rendered.body, rendered.content_type, action)

    def _render(self, fmt: str, action: str, payload: dict) -> ApiResponse:
        if self.legacy_strings:
            payload = _stringify(payload)
        if fmt == "json":
            text = json.dumps(payload, separators=(",", ":")).replace("/", "\\/")
            body = text.encode()
        elif fmt == "xml":
            # A malformed client record reaches XML as the raw bytes (see _BAD_BYTES).
            body = _to_xml(action, payload).encode("utf-8", "surrogateescape")
        else:
            body = _to_nvp(payload).encode()
        return ApiResponse(200, body, _CONTENT_TYPES[fmt], action)


# ----- helpers ------------------------------------------------------------------------------


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _normalise_action(raw: str) -> str:
    # WHMCS lower-cases the action and drops everything but letters and digits (§1).
    return "".join(ch for ch in raw.lower() if ch.isascii() and ch.isalnum())


def _php_int(value: str | None) -> int:
    """PHP's (int) cast: leading digits count, anything else is 0 (``"12abc"`` → 12)."""
    if not value:
        return 0
    match = _LEADING_INT.match(value)
    return int(match.group(1)) if match else 0


def _json_str(text: str) -> str:
    return json.dumps(text)


def _stringify(value: object) -> object:
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


def _to_xml(action: str, payload: dict) -> str:
    # Root <whmcsapi>, with the action echoed first (§1). Lists repeat their element name.
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<whmcsapi version="8.13.1">\n']
    parts.append(f"<action>{escape(action)}</action>\n")
    for key, value in payload.items():
        _xml_value(parts, key, value)
        parts.append("\n")
    parts.append("</whmcsapi>\n")
    return "".join(parts)


def _xml_value(parts: list[str], key: str, value: object) -> None:
    if isinstance(value, list):
        if not value:
            parts.append(f"<{key}></{key}>")
        for item in value:
            _xml_value(parts, key, item)
        return
    parts.append(f"<{key}>")
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(parts, k, v)
    elif value is None:
        pass
    elif isinstance(value, bool):
        parts.append("true" if value else "false")
    else:
        parts.append(escape(str(value)))
    parts.append(f"</{key}>")


def _to_nvp(payload: dict) -> str:
    # key=value pairs joined by ";" (§1); only flat payloads (errors) ever reach here.
    return ";".join(f"{k}={'' if v is None else v}" for k, v in payload.items())
