"""Programmable misbehaviour of the sandbox, and the log of what it received.

A :class:`Controls` object is read on every API request; change its attributes at any time
(plain attribute writes are atomic enough for the counters and numbers involved)::

    controls = Controls(latency_ms=20, fail_every=5)   # every 5th API call answers HTTP 500
    controls.fail_next("drop", times=2)                 # the next two calls get no answer at all
    controls.before_getinvoices = churn(pay=3, refund=3)  # drift while a sync pages

Fault kinds, used by ``fail_next`` and by the ``*_every`` counters:

``"status"``   HTTP ``fail_status`` (default 500; 429 works too) with a short plain-text body;
``"html"``     an HTML error page with HTTP ``html_status`` (default 503; set 200 to imitate a
               web-application firewall or a wrong URL answering a page);
``"truncate"`` the real answer, cut in the middle (a complete HTTP message, broken JSON);
``"drop"``     the connection is closed without any answer.

``retry_after`` adds a ``Retry-After`` header (seconds) to the "status" and "html" answers.

"Every k-th" counts API calls (requests to ``/includes/api.php``) from 1, so with
``fail_every=3`` calls 3, 6, 9… fail. ``fail_next`` faults come first, then ``fail_every``,
``html_every``, ``truncate_every``, in that order.

:class:`RequestLog` is the sandbox's memory of requests: ``count``, ``records`` (newest last,
bounded), ``count_action("getinvoices")``, ``clear()``. Each record keeps the raw query string
separately from the parameters so tests can prove no secret travelled in a URL.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forecaster.sandbox.data import SandboxState

FAULT_KINDS = ("status", "html", "truncate", "drop")

# A hook runs under the state lock, after authentication, before GetInvoices is answered.
GetInvoicesHook = Callable[["SandboxState", Mapping[str, str]], None]


@dataclass
class Controls:
    """Faults and hooks applied by the server; see the module docstring."""

    latency_ms: float = 0.0
    fail_every: int = 0
    fail_status: int = 500
    html_every: int = 0
    html_status: int = 503
    truncate_every: int = 0
    retry_after: int | None = None  # seconds, sent as Retry-After with "status"/"html" faults
    before_getinvoices: GetInvoicesHook | None = None
    _queued: deque[str] = field(default_factory=deque, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def fail_next(self, kind: str = "status", times: int = 1) -> None:
        """Make the next ``times`` API calls fail with fault ``kind`` (see ``FAULT_KINDS``)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._queued.extend([kind] * times)

    def reset(self) -> None:
        """Back to a well-behaved server: no latency, no faults, no hook."""
        with self._lock:
            self._queued.clear()
        self.latency_ms = 0.0
        self.fail_every = self.html_every = self.truncate_every = 0
        self.fail_status, self.html_status = 500, 503
        self.retry_after = None
        self.before_getinvoices = None

    def fault_for(self, call_number: int) -> str | None:
        """The fault for API call number ``call_number`` (1-based), or ``None``."""
        with self._lock:
            if self._queued:
                return self._queued.popleft()
        for every, kind in (
            (self.fail_every, "status"),
            (self.html_every, "html"),
            (self.truncate_every, "truncate"),
        ):
            if every > 0 and call_number % every == 0:
                return kind
        return None


def churn(
    pay: int = 1, refund: int = 1, *, cancel: int = 0, delete: int = 0, seed: int = 0
) -> GetInvoicesHook:
    """A ``before_getinvoices`` hook: before each answer, pay ``pay`` random unpaid invoices,
    refund ``refund`` random paid ones, cancel ``cancel`` unpaid ones and delete ``delete``
    paid ones — the drift a sync must survive while it pages.

    Deterministic for a given ``seed`` and sequence of calls.
    """
    rng = random.Random(seed)

    def hook(state: SandboxState, params: Mapping[str, str]) -> None:
        for invoice_id in state.random_ids("Unpaid", pay, rng):
            state.pay(invoice_id)
        for invoice_id in state.random_ids("Paid", refund, rng):
            state.refund(invoice_id)
        for invoice_id in state.random_ids("Unpaid", cancel, rng):
            state.cancel(invoice_id)
        for invoice_id in state.random_ids("Paid", delete, rng):
            state.delete(invoice_id)

    return hook


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it."""

    number: int  # API call number, 1-based (0 for requests to other paths)
    method: str
    path: str
    query: str  # the raw query string: should never hold a secret
    params: dict[str, str]  # query and form body merged, body winning (as PHP's $_REQUEST)
    headers: dict[str, str]  # lower-case names
    client_ip: str
    action: str  # normalised, e.g. "getinvoices"; "" when none
    status: int  # HTTP status answered (0 when the connection was dropped)
    fault: str | None


class RequestLog:
    """Thread-safe count and bounded record of received requests."""

    def __init__(self, keep: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._records: deque[RecordedRequest] = deque(maxlen=keep)

    def next_number(self) -> int:
        """Claim the next API call number (used by the server)."""
        with self._lock:
            self._count += 1
            return self._count

    def add(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def count(self) -> int:
        """API calls received since start (or the last ``clear()``)."""
        with self._lock:
            return self._count

    @property
    def records(self) -> list[RecordedRequest]:
        """The most recent requests (up to ``keep``), oldest first."""
        with self._lock:
            return list(self._records)

    def count_action(self, action: str) -> int:
        """How many recorded API calls asked for ``action`` (any spelling)."""
        wanted = "".join(ch for ch in action.lower() if ch.isalnum())
        return sum(1 for r in self.records if r.action == wanted)

    def count_status(self, status: str) -> int:
        """How many recorded GetInvoices calls asked for ``status`` (e.g. ``"Unpaid"``)."""
        return sum(
            1
            for r in self.records
            if r.action == "getinvoices" and r.params.get("status", "").lower() == status.lower()
        )

    def clear(self) -> None:
        """Forget all records and restart the count (and so the every-k-th faults) at 0."""
        with self._lock:
            self._count = 0
            self._records.clear()
