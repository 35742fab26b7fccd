"""The WHMCS API client: GetInvoices pages and "Test connection".

    >>> with WhmcsClient("https://billing.example/includes/api.php", "ID", "SECRET") as api:
    ...     page = api.get_invoices(limitstart=0, limitnum=100)
    >>> page.total, page.returned, page.records[0]["id"]
    (2345, 100, 1)

Every request is a form-encoded POST (credentials in the body only, never in the URL) through
:mod:`forecaster.lib.http`, which owns timeouts, TLS, redirects and the address guard. Answers
are classified into :mod:`forecaster.systems.errors`; transient ones are retried per
:class:`RetryPolicy`, set-up errors never are (WHMCS bans an IP after three failed logins).
"""

from __future__ import annotations

import codecs
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import httpx
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from forecaster.lib import http
from forecaster.lib.display import count_text
from forecaster.systems import errors
from forecaster.systems.source import ConnectionResult as SourceConnectionResult
from forecaster.systems.source import InvoiceDetails, InvoiceSource, Transaction
from forecaster.systems.whmcs import billing, decoding
from forecaster.systems.whmcs import records as whmcs_records

if TYPE_CHECKING:
    from forecaster.systems.models import AccountingSystem

log = logging.getLogger(__name__)

TEST_TIMEOUT = 10.0
COUNTER_LIMIT = 2**63  # a count WHMCS sends must fit a 64-bit integer to be a count at all
# A WHMCS that ignores ``orderby`` (before 7.7) can still be read exactly when all its invoices
# of one status fit in one answer: one request is one consistent picture.
SINGLE_READ_MAX = 5000
# How often a page assembled from capped pieces is re-read when WHMCS changed between pieces.
MAX_PIECE_RETRIES = 3
# WHMCS's whole-answer failure when one record in it is not valid UTF-8 (the same page in XML works).
JSON_ENCODING_ERROR = "error generating json encoded response"
# GetTransactions has no paging: its one answer holds every transaction (about 400 bytes each).
TRANSACTIONS_MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class InvoicePage:
    """One GetInvoices answer."""

    total: int  # WHMCS totalresults (counts rows it may never return)
    start: int  # startnumber
    returned: int  # numreturned
    records: list[dict]  # raw invoice dicts, amounts as Decimal; [] when WHMCS sent none


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter for transient errors.

    Attempt *n* (from 1) that fails waits ``min(max_delay, base_delay·2^(n-1))``, reduced by up
    to ``jitter`` (a fraction) at random, or the server's ``Retry-After`` if longer. No more
    than ``max_attempts`` requests and ``max_total`` seconds of waiting in all.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_total: float = 60.0
    jitter: float = 0.5

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        wait = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        if self.jitter:
            wait *= 1 - self.jitter * random.random()
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


# What each API action of the role unlocks (Test connection lists them).
WHAT_EACH_UNLOCKS = {
    "GetInvoices": gettext_lazy("paid invoices: required; revenue as the original product counted it"),
    "GetInvoice": gettext_lazy(
        "tells deposits (Add Funds) and mass payments from sales, and reads the refunds of invoices "
        "refunded in full or charged back"
    ),
    "GetTransactions": gettext_lazy(
        "finds every refund and chargeback, partial ones too, with one request per sync"
    ),
}


@dataclass
class ConnectionResult(SourceConnectionResult):
    """What "Test connection" found, with what each API action the role allows unlocks."""

    @property
    def permission_rows(self) -> list[tuple[str, bool, str]]:
        """``(action, allowed, what it unlocks)`` for each action checked."""
        return [(a, ok, str(WHAT_EACH_UNLOCKS.get(a, ""))) for a, ok in self.permissions.items()]

    @property
    def message(self) -> str:
        if not self.ok:
            return super().message
        return ngettext(
            "Connection works: WHMCS holds %(count)s paid invoice.",
            "Connection works: WHMCS holds %(count)s paid invoices.",
            self.paid_invoices or 0,
        ) % {"count": count_text(self.paid_invoices)}


class WhmcsClient(InvoiceSource):
    """A keep-alive connection to one WHMCS API. Use as a context manager or call ``close()``.

    The sync engine's :class:`~forecaster.systems.source.InvoiceSource` for apiWHMCS: WHMCS's
    GetInvoices parameters and paging quirks are handled here, its records parsed by
    :mod:`forecaster.systems.whmcs.records`.
    """

    reads_pipeline = True
    # The ledger's features (forecaster/systems/whmcs/billing.py), each behind its API action.
    tells_invoice_kinds = True
    lists_transactions = True
    returned_statuses = billing.RETURNED_STATUSES
    permission_names = billing.PERMISSIONS

    @sensitive_variables("secret")
    def __init__(
        self,
        url: str,
        identifier: str,
        secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = RetryPolicy(),  # noqa: B008 - immutable in practice
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._identifier = identifier
        self._secret = secret
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.requests_made = 0
        # The sync engine keeps a couple of requests in flight from worker threads.
        self._count_lock = threading.Lock()
        # A transient error (429 or 5xx, with its Retry-After) pauses every request of this
        # client, whichever thread sends it: the whole system backs off, not one request.
        self._resume_at = 0.0
        self._paused = threading.local()  # the end of the last pause this thread waited out
        self._http = http.make_client(timeout=timeout, transport=transport)
        # What this client learnt about the installation (see ``get_invoices``).
        self.page_cap: int | None = None  # WHMCS returns at most this many rows per request
        self.orderby_ignored = False  # WHMCS before 7.7: rows come in its own fixed order
        self.prefer_xml = False  # a JSON answer failed to encode: read XML from then on
        self.notes: list[str] = []  # for the sync run's note: how the pages were read
        self._snapshots: dict[str | None, InvoicePage] = {}  # the one-request reads, by status

    def __repr__(self) -> str:  # never show the secret, even in a debugger or traceback
        return f"<WhmcsClient {http.redact_url(self.url)}>"

    @classmethod
    @sensitive_variables()
    def for_system(cls, system: AccountingSystem, **kwargs: Any) -> WhmcsClient:
        """A client for a stored system (decrypts its secret; may raise ``DecryptionError``)."""
        return cls(system.url, system.identifier, system.get_secret(), **kwargs)

    def close(self) -> None:
        self._http.close()

    def _credentials(self) -> tuple[str, str]:
        """What is masked in every text the server sends back (see ``RemoteError.masked``)."""
        return self._secret, self._identifier

    def __enter__(self) -> WhmcsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- public calls ---------------------------------------------------------------------------

    def get_invoices(
        self,
        *,
        limitstart: int = 0,
        limitnum: int = 25,
        status: str | None = "Paid",
        orderby: str = "id",
        order: str = "asc",
    ) -> InvoicePage:
        """One page of GetInvoices, ids in the order asked for. Retries transient errors;
        raises ``RemoteError`` subclasses.

        The page never lies about the end: it holds ``limitnum`` rows unless the data ends
        there. A WHMCS that returns fewer rows than asked although more exist (a capped page
        size) is read in pieces of its cap, each overlapping the last by one row. A WHMCS that
        ignores ``orderby`` (before 7.7) is read in one request when it holds at most
        ``SINGLE_READ_MAX`` invoices of the status, and the pages are cut from that one
        picture; above that ``OrderIgnored`` says what to upgrade.
        """
        start, limit = max(0, int(limitstart)), max(1, int(limitnum))
        if orderby == "id" and self.orderby_ignored:
            return self._from_snapshot(status, order, start, limit)
        page = self._pieces(status, orderby, order, start, limit)
        if orderby == "id" and not _in_order(page.records, order):
            self.orderby_ignored = True
            self._note(
                gettext(
                    "This WHMCS ignores the sort order asked for (orderby, WHMCS 7.7 and later), "
                    "so each sync read its invoices in one request."
                )
            )
            return self._from_snapshot(status, order, start, limit)
        return page

    def _pieces(self, status: str | None, orderby: str, order: str, start: int, limit: int) -> InvoicePage:
        """``limit`` rows from ``start``: one request, or capped pieces that overlap by a row
        (re-read when the overlap shows WHMCS changed between two pieces)."""
        for _attempt in range(MAX_PIECE_RETRIES + 1):
            total, records = self._assemble(status, orderby, order, start, limit)
            if records is not None:
                return InvoicePage(total=total, start=start, returned=len(records), records=records)
        raise errors.BadResponse(
            gettext("WHMCS invoices kept changing while a page was read in pieces."),
            gettext("Run the sync again when WHMCS is quieter."),
        )

    def _assemble(
        self, status: str | None, orderby: str, order: str, start: int, limit: int
    ) -> tuple[int, list[dict] | None]:
        first = min(limit, self.page_cap) if self.page_cap else limit
        page = self._page(status, orderby, order, start, first)
        records = list(page.records)
        # A short page is the end only when nothing follows it: totalresults also counts
        # invoices WHMCS never returns, so ask for the next row before believing it.
        while records and len(records) < limit and start + len(records) < page.total:
            cap = self.page_cap or len(records)
            if cap < 2:
                raise errors.PagingUnsupported()
            more = self._page(
                status, orderby, order, start + len(records) - 1, min(cap, limit - len(records) + 1)
            )
            if len(more.records) <= 1:
                break  # nothing after our last row: the rest are rows WHMCS never returns
            if self.page_cap is None:
                self.page_cap = cap
                self._note(
                    gettext(
                        "This WHMCS returns at most %(cap)d invoices per request, whatever is asked; "
                        "the sync read it in pieces of that size. Set Step to %(step)d or less so that "
                        "each step is one request."
                    )
                    # A full sync's step asks Step + 1 rows (one overlaps the step before).
                    % {"cap": cap, "step": max(1, cap - 1)}
                )
            if _id(more.records[0]) != _id(records[-1]):
                return page.total, None  # WHMCS changed between the pieces
            records.extend(more.records[1:])
        return page.total, records[:limit]

    def _from_snapshot(self, status: str | None, order: str, start: int, limit: int) -> InvoicePage:
        """A page cut from one read of every invoice of ``status``, sorted by id here."""
        snap = self._snapshots.get(status)
        if snap is None:
            head = self._page(status, "id", "asc", 0, 1)
            if head.total > SINGLE_READ_MAX or (self.page_cap and head.total > self.page_cap):
                raise errors.OrderIgnored(head.total)
            whole = self._page(status, "id", "asc", 0, head.total + 100)
            extra = self._page(status, "id", "asc", len(whole.records), 100) if whole.records else None
            if extra is not None and extra.records:
                raise errors.OrderIgnored(head.total)  # more than one answer holds
            records = sorted(whole.records, key=lambda r: _id(r) or 0)
            unique = list({_id(r): r for r in records}.values())
            snap = self._snapshots[status] = InvoicePage(whole.total, 0, len(unique), unique)
        rows = snap.records if order == "asc" else snap.records[::-1]
        chunk = rows[start : start + limit]
        return InvoicePage(total=snap.total, start=start, returned=len(chunk), records=chunk)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _page(self, status: str | None, orderby: str, order: str, start: int, limit: int) -> InvoicePage:
        params: dict[str, str | int] = {
            "action": "GetInvoices",
            "orderby": orderby,
            "order": order,
            "limitstart": start,
            "limitnum": limit,
        }
        if status:
            params["status"] = status
        return _page(self._retrying(params), start)

    def get_invoice(self, invoice_id: int) -> dict:
        """GetInvoice: one invoice with ``items`` and ``transactions`` (its own permission;
        ``PermissionMissing`` when the role lacks it). Retries transient errors."""
        return self._retrying({"action": "GetInvoice", "invoiceid": int(invoice_id)})

    def get_transactions(self, **filters: str | int) -> list[dict]:
        """GetTransactions: every transaction, or those of ``invoiceid`` / ``clientid`` /
        ``transid`` (WHMCS has no paging here: unfiltered, one answer holds them all)."""
        data = self._retrying({"action": "GetTransactions", **filters}, max_bytes=TRANSACTIONS_MAX_BYTES)
        return _records(data.get("transactions"), "transaction") or []

    def allowed_actions(
        self, known: dict[str, bool] | None = None, *, retry: bool = False
    ) -> dict[str, bool]:
        """Which of GetInvoices, GetInvoice and GetTransactions the API role allows: one cheap
        request each not in ``known`` (GetInvoice of id 0, GetTransactions of a transaction id
        that never exists). Raises ``RemoteError`` for anything but a permission refusal.
        ``retry``: transient errors are retried as a sync's pages are (Test connection never
        retries)."""
        probes = {
            "GetInvoices": {"action": "GetInvoices", "status": "Paid", "limitnum": 1},
            "GetInvoice": {"action": "GetInvoice", "invoiceid": 0},
            "GetTransactions": {"action": "GetTransactions", "transid": "forecaster-probe"},
        }
        allowed = dict(known or {})
        wait = min(self.timeout, TEST_TIMEOUT)
        for action, params in probes.items():
            if action in allowed:
                continue
            try:
                if retry:
                    self._retrying(params)
                else:
                    self._call(params, timeout=wait, deadline=wait)
                allowed[action] = True
            except errors.PermissionMissing:
                allowed[action] = False
            except errors.WhmcsError as exc:
                # GetInvoice of id 0 answers "Invoice ID Not Found": the call itself is allowed.
                allowed[action] = "not found" in str(exc.message).lower()
        return allowed

    def invoice_details(self, invoice_id: int) -> InvoiceDetails | None:
        """GetInvoice as the invoice's kind and transactions; ``None`` when WHMCS no longer has
        it (deleted since it was listed)."""
        try:
            return billing.details(self.get_invoice(invoice_id))
        except errors.WhmcsError as exc:
            if "not found" in str(exc.message).lower():
                return None
            raise

    def transactions(self) -> list[Transaction]:
        """GetTransactions, every readable transaction (one request)."""
        return [t for t in map(billing.transaction, self.get_transactions()) if t]

    def permissions(self, *, retry: bool = False) -> dict[str, bool]:
        """The API actions the role allows, once GetInvoices has worked (see ``allowed_actions``)."""
        return self.allowed_actions({"GetInvoices": True}, retry=retry)

    @classmethod
    def revenue_gap(cls, system: str, missing: frozenset[str], candidates: int) -> str:
        return billing.revenue_gap(system, missing, candidates)

    def _retrying(self, params: dict[str, str | int], max_bytes: int | None = None) -> dict:
        """One call, transient errors retried per the policy within the page deadline."""
        policy = self.retry
        attempt = 0
        waited = 0.0
        # Each attempt ends within the request deadline, and one page, retries included, within
        # one and a half: a stalled server frees the sync (and the queue behind it) instead of
        # holding it for every attempt's deadline.
        each = request_deadline()
        ends = time.monotonic() + 1.5 * each
        while True:
            attempt += 1
            self._hold()
            try:
                left = ends - time.monotonic()
                return self._call(
                    params, timeout=None, deadline=max(1.0, min(each, left)), max_bytes=max_bytes
                )
            except errors.RemoteError as exc:
                if policy is None or not exc.retryable or attempt >= policy.max_attempts:
                    raise
                wait = policy.delay(attempt, getattr(exc, "retry_after", None))
                if waited + wait > policy.max_total or time.monotonic() + wait + 1.0 >= ends:
                    raise
                log.info(
                    "WHMCS %s: %s; retrying in %.1fs (attempt %d of %d)",
                    http.redact_url(self.url),
                    exc.kind,
                    wait,
                    attempt + 1,
                    policy.max_attempts,
                )
                self._back_off(wait)
                waited += wait

    def _back_off(self, seconds: float) -> None:
        """Pause every request of this client for ``seconds`` from now (other threads wait in
        ``_hold``), and wait them out here."""
        mine = time.monotonic() + seconds
        with self._count_lock:
            self._resume_at = max(self._resume_at, mine)
        self._paused.until = mine
        self.sleep(seconds)

    def _hold(self) -> None:
        """Before a request: wait out a pause another thread started (see ``_back_off``)."""
        with self._count_lock:
            until = self._resume_at
        if until > getattr(self._paused, "until", 0.0):
            left = until - time.monotonic()
            if left > 0:
                self._paused.until = until
                self.sleep(left)

    # --- parsing WHMCS records (InvoiceSource) ---------------------------------------------

    # Plain functions, not methods: the engine calls them once per invoice.
    parse_invoice = staticmethod(whmcs_records.parse_record)  # type: ignore[assignment]
    invoice_id = staticmethod(whmcs_records.record_id)  # type: ignore[assignment]
    parse_page = staticmethod(whmcs_records.parse_page)  # type: ignore[assignment]
    unpaid_record = staticmethod(whmcs_records.unpaid_record)  # type: ignore[assignment]

    def test_connection(self) -> ConnectionResult:
        """One GetInvoices request (Paid, one row), short timeout, no retries. Never raises
        ``RemoteError``: the diagnosis is in the result."""
        params: dict[str, str | int] = {
            "action": "GetInvoices",
            "status": "Paid",
            "limitstart": 0,
            "limitnum": 1,
            "orderby": "id",
            "order": "asc",
        }
        from forecaster.systems.forms import sends_in_clear

        warnings = []
        if sends_in_clear(self.url):
            warnings.append(
                gettext(
                    "The connection is not encrypted (http://): the API secret and invoices cross "
                    "the network in clear text. Use https:// if WHMCS supports it."
                )
            )
        try:
            # The timeout bounds the whole test, not each read: a server answering one byte at
            # a time must not hold the button past it.
            wait = min(self.timeout, TEST_TIMEOUT)
            page = _page(self._call(params, timeout=wait, deadline=wait), 0)
        except errors.RemoteError as exc:
            return ConnectionResult(ok=False, error=exc, warnings=warnings)
        return ConnectionResult(ok=True, paid_invoices=page.total, warnings=warnings)

    # --- one request ----------------------------------------------------------------------------

    def _call(
        self,
        params: dict[str, str | int],
        *,
        timeout: float | None,
        deadline: float,
        max_bytes: int | None = None,
    ) -> dict:
        """One request, JSON unless WHMCS already failed to encode one; a page WHMCS cannot
        encode as JSON (a record with malformed UTF-8) is asked again as XML."""
        if not self.prefer_xml:
            try:
                return self._request(params, "json", timeout, deadline, max_bytes)
            except errors.WhmcsError as exc:
                if JSON_ENCODING_ERROR not in str(exc.message).lower():
                    raise
            self.prefer_xml = True
            self._note(
                gettext(
                    "WHMCS could not encode some answers as JSON (a record with malformed UTF-8, "
                    "often in a client's details); they were read as XML."
                )
            )
        return self._request(params, "xml", timeout, deadline, max_bytes)

    @sensitive_variables("body")
    def _request(
        self,
        params: dict[str, str | int],
        responsetype: str,
        timeout: float | None,
        deadline: float,
        max_bytes: int | None = None,
    ) -> dict:
        body = {
            "identifier": self._identifier,
            "secret": self._secret,
            "responsetype": responsetype,
            **params,
        }
        with self._count_lock:
            self.requests_made += 1
        try:
            response = http.post_form(
                self._http,
                self.url,
                body,
                timeout=timeout,
                deadline=deadline,
                max_bytes=max_bytes or http.DEFAULT_MAX_BYTES,
            )
        except http.OutboundError as exc:
            raise _transport_error(exc).masked(*self._credentials()) from None
        try:
            return self._classify(response, invoices=params.get("action") == "GetInvoices")
        except errors.RemoteError as exc:
            # Whatever the server's words put in a message (an echoed secret in "Invalid IP …",
            # a redirect Location holding the identifier) is masked before anyone stores or
            # shows it: sync history, the system's last result, the API, Test connection.
            raise exc.masked(*self._credentials()) from exc.__cause__

    def _decode(self, response: httpx.Response, invoices: bool = False) -> object:
        """The answer's data, from JSON (GetInvoices records with only the fields kept) or (for
        an old or failing WHMCS) XML."""
        status, content = response.status_code, response.content.removeprefix(codecs.BOM_UTF8)
        ctype = response.headers.get("content-type", "").lower()
        head = content[:512].lstrip()
        looks_json = head.startswith(b"{") or head.startswith(b"[")
        looks_xml = head.startswith(b"<?xml") or head.startswith(b"<whmcsapi")
        if looks_xml and status < 500:
            data = _xml_answer(content)
            if "result" not in data and "status" not in data:
                raise _non_json_error(response, head, ctype, self._credentials())
            return data
        if not ("json" in ctype or looks_json):
            raise _non_json_error(response, head, ctype, self._credentials())
        try:
            return decoding.decode(content, invoices=invoices)
        except decoding.DecodeError:
            if status >= 500 or status == 429:
                raise _server_error(response) from None
            raise errors.BadResponse(
                gettext("WHMCS sent an incomplete or invalid JSON answer (truncated?).")
            ) from None

    def _classify(self, response: httpx.Response, invoices: bool = False) -> dict:
        status = response.status_code
        if 300 <= status < 400:
            raise _redirect_error(
                self.url, errors.mask_text(response.headers.get("location", ""), *self._credentials())
            )

        data = self._decode(response, invoices)
        if not isinstance(data, dict):
            raise errors.ResponseFormatChanged()

        result = data.get("result", data.get("status"))
        result = result.lower() if isinstance(result, str) else result
        if result == "error":
            message = data.get("message")
            raise _whmcs_error(
                str(message) if message is not None else "", status, response, self._credentials()
            )
        if status >= 500 or status == 429:
            raise _server_error(response)
        if result != "success":
            raise errors.ResponseFormatChanged()
        return data


def request_deadline() -> float:
    """Seconds one request may take in all (``FORECASTER_REQUEST_DEADLINE``)."""
    from django.conf import settings

    return float(getattr(settings, "WHMCS_REQUEST_DEADLINE", http.DEFAULT_DEADLINE))


# --- classification helpers --------------------------------------------------------------------


def _id(record: object) -> int | None:
    value = record.get("id") if isinstance(record, dict) else None
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _in_order(records: list[dict], order: str) -> bool:
    """Whether the readable ids come strictly ascending (``asc``) or descending."""
    ids = [i for i in (_id(r) for r in records) if i is not None]
    if order == "desc":
        return all(a > b for a, b in pairwise(ids))
    return all(a < b for a, b in pairwise(ids))


def _xml_answer(content: bytes) -> dict:
    """An XML answer (root ``<whmcsapi>``) as the dict the JSON answer would be: elements with
    children become dicts, repeated elements lists, leaves their text. Bytes that are not
    UTF-8 (the reason WHMCS could not answer JSON) become replacement characters."""
    text = content.decode("utf-8", "replace")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise errors.BadResponse(gettext("WHMCS sent an XML answer with a document type declaration."))
    try:
        # Without a DTD (refused above) no entity can expand; expat does the rest.
        root = ElementTree.fromstring(text.encode("utf-8"))  # noqa: S314
    except ElementTree.ParseError:
        raise errors.BadResponse(
            gettext("WHMCS sent an incomplete or invalid XML answer (truncated?).")
        ) from None
    value = _xml_value(root)
    return value if isinstance(value, dict) else {}


def _xml_value(element: ElementTree.Element) -> object:
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, object] = {}
    for child in children:
        value = _xml_value(child)
        if child.tag in out:
            existing = out[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[child.tag] = [existing, value]
        else:
            out[child.tag] = value
    return out


_INVALID_IP = re.compile(r"^Invalid IP\s+(\S+)", re.IGNORECASE)
_AUTH_MESSAGES = (
    "invalid or missing credentials",
    "authentication failed",
    "invalid password provided",
    "invalid administrative identifier",
    "administrator account disabled",
    "access denied",
)


def _counter(data: dict, key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or value is None:
        raise errors.ResponseFormatChanged(
            gettext("WHMCS response format changed: the answer has no “%(key)s” counter.") % {"key": key}
        )
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():  # not "²"
        number = int(value.strip()) if len(value.strip()) <= 30 else COUNTER_LIMIT
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        # The exponent first: int() of 1E+999999999 would build a billion-digit number.
        number = int(value) if value.adjusted() < 30 else COUNTER_LIMIT
    if number is None:
        raise errors.ResponseFormatChanged(
            gettext("WHMCS response format changed: “%(key)s” is not a whole number.") % {"key": key}
        )
    if not 0 <= number < COUNTER_LIMIT:
        raise errors.ResponseFormatChanged(
            gettext("WHMCS sent an impossible “%(key)s” counter (out of range); the answer cannot be used.")
            % {"key": key}
        )
    return number


def _records(invoices: object, element: str = "invoice") -> list[dict] | None:
    """The dicts inside a WHMCS list (``{"invoice": [...]}``, ``{"transaction": ...}``, ``""``,
    ``[]``); ``None`` when the shape is unrecognisable."""
    if invoices in (None, "", [], {}):
        return []
    if isinstance(invoices, dict):
        inner = invoices.get(element)
        if inner in (None, "", [], {}):
            return []
        if isinstance(inner, dict):  # a single invoice rendered as an object
            return [inner]
        invoices = inner
    if isinstance(invoices, list) and all(isinstance(r, dict) for r in invoices):
        return invoices
    return None


def _page(data: dict, limitstart: int) -> InvoicePage:
    total = _counter(data, "totalresults")
    returned = _counter(data, "numreturned")
    start = _counter(data, "startnumber", limitstart)
    records = _records(data.get("invoices"))
    if records is None or (returned > 0 and not records):
        raise errors.ResponseFormatChanged(
            gettext("WHMCS response format changed: the invoices in the answer cannot be read.")
        )
    return InvoicePage(
        total=total, start=start, returned=returned, records=whmcs_records.whitelisted(records)
    )


def _transport_error(exc: http.OutboundError) -> errors.RemoteError:
    if exc.kind == http.BLOCKED:
        return errors.ForbiddenAddress(exc.message + " " + errors.ForbiddenAddress.message)
    if exc.kind in (http.TLS_UNTRUSTED, http.TLS_HOSTNAME, http.TLS_OTHER):
        return errors.TlsError(exc.message)
    if exc.kind == http.TIMEOUT:
        return errors.RemoteTimeout(exc.message)
    if exc.kind in (http.DNS, http.REFUSED):
        return errors.Unreachable(exc.message)
    if exc.kind == http.TOO_LARGE:
        return errors.BadResponse(exc.message, gettext("Lower the Step so each page is smaller."))
    return errors.BadResponse(exc.message)


def _redirect_error(url: str, location: str) -> errors.NotAnApi:
    target = http.redact_url(str(httpx.URL(url).join(location))) if location else ""
    if target and url.lower().startswith("http://") and target.lower() == "https://" + url[7:].lower():
        return errors.NotAnApi(
            gettext("WHMCS redirects http:// to https:// instead of answering the API."),
            gettext("Change the URL to %(url)s") % {"url": target},
        )
    return errors.NotAnApi(
        gettext("The URL answered with a redirect to %(url)s instead of the API.") % {"url": target}
        if target
        else gettext("The URL answered with a redirect instead of the API."),
        gettext(
            "Enter the exact final address of the API (…/includes/api.php); redirects are never "
            "followed because they drop the credentials."
        ),
    )


def _non_json_error(
    response: httpx.Response, head: bytes, ctype: str, credentials: tuple[str, ...]
) -> errors.RemoteError:
    status = response.status_code
    text = head.decode("utf-8", "replace")
    lowered = text.lower()
    if status >= 500 or status == 429:
        return _server_error(response)
    # Errors raised before WHMCS reads responsetype come as name=value pairs: result=error;message=…
    if lowered.startswith("result="):
        fields = dict(part.partition("=")[::2] for part in text.split(";"))
        if fields.get("result", "").lower() == "error":
            return _whmcs_error(fields.get("message", ""), status, None, credentials)
        return errors.NotAnApi(
            gettext("WHMCS answered in the NVP format instead of JSON."),
            gettext("Check the URL points at …/includes/api.php of WHMCS 7 or later."),
        )
    if lowered.startswith("<?xml") or "<whmcsapi" in lowered:
        return errors.NotAnApi(gettext("The URL answered in XML, not the JSON the API was asked for."))
    if not text.strip():
        if status == 200:
            return errors.BadResponse(gettext("WHMCS sent an empty answer."))
        return errors.NotAnApi(
            gettext("The URL answered HTTP %(status)s with an empty body, not the API.") % {"status": status}
        )
    if status == 404:
        return errors.NotAnApi(
            gettext("Nothing was found at this URL (HTTP 404): it is not the WHMCS API."),
            gettext("Check the address; it must end in /includes/api.php under the WHMCS folder."),
        )
    if "html" in ctype or lowered.startswith("<"):
        return errors.NotAnApi(
            gettext(
                "The URL answered with an HTML page (HTTP %(status)s), not the WHMCS API: a wrong "
                "URL, or a firewall/CDN challenge page."
            )
            % {"status": status},
        )
    return errors.NotAnApi(
        gettext("The URL answered HTTP %(status)s with something other than JSON.") % {"status": status}
    )


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_error(response: httpx.Response) -> errors.ServerError:
    status = response.status_code
    what = (
        gettext("The WHMCS server is rate-limiting requests (HTTP 429).")
        if status == 429
        else gettext("The WHMCS server reported HTTP %(status)s.") % {"status": status}
    )
    return errors.ServerError(what, retry_after=_retry_after(response))


def _whmcs_error(
    message: str, status: int, response: httpx.Response | None, credentials: tuple[str, ...]
) -> errors.RemoteError:
    # The credentials are masked before anything is cut from the text, so no prefix survives.
    text = errors.mask_text(" ".join(message.split()), *credentials)
    lowered = text.lower()
    match = _INVALID_IP.match(text)
    if match:
        return errors.IpNotAllowed(match.group(1)[:64])
    if lowered.startswith("ip banned"):
        return errors.IpBanned()
    if lowered.startswith("invalid permissions"):
        return errors.PermissionMissing()
    if lowered in _AUTH_MESSAGES or lowered.startswith("access denied"):
        label = text if len(text) < 60 else "Authentication Failed"
        return errors.AuthenticationFailed(
            gettext("WHMCS refused the API credentials (%(reason)s).") % {"reason": label}
        )
    if status >= 500 and response is not None:
        return _server_error(response)
    # Quote WHMCS's own short error text (a structured field, not the body), trimmed.
    quoted = text[:160] or gettext("no message")
    return errors.WhmcsError(gettext("WHMCS returned an error: %(message)s") % {"message": quoted})
