"""The interface between the sync engine and an accounting system: an invoice *source*.

The engine (``forecaster.sync.engine``) knows nothing about WHMCS. It gets a source from the
system's type in the registry — ``get_type(system.kind).make_client(system)`` — and talks to
it only through :class:`InvoiceSource`: abstract methods every type implements, plus
capability flags saying what it can do beyond them. A type's folder
(``forecaster/systems/<key>/``) holds everything specific to it: parameter names, paging
quirks, answer parsing, the connection test (``forecaster/systems/whmcs/`` is the worked
example, ``tests/jsonsource/`` the smallest one).

    source = get_type(system.kind).make_client(system)
    with source:
        page = source.get_invoices(limitstart=0, limitnum=100, status="Paid")
        good, bad = source.parse_page(page.records, tz)

The engine pages by position with ``limitstart``/``limitnum`` in ascending id order; a source
must answer a page of at most ``limitnum`` records starting at ``limitstart`` of that order
(or raise one of the errors in :mod:`forecaster.systems.errors`), with ``total`` the number
of matching records. It records each request it makes in ``requests_made`` and anything
the run should mention (how the system had to be read) in ``notes``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol
from zoneinfo import ZoneInfo

from django.utils.translation import ngettext

from forecaster.lib.display import count_text
from forecaster.systems import errors

if TYPE_CHECKING:
    from forecaster.systems.models import AccountingSystem


class BadRecord(ValueError):
    """One record could not be read. ``str()`` is a short reason with no record content."""

    def __init__(self, whmcs_id: int | None, reason: str) -> None:
        super().__init__(reason)
        self.whmcs_id = whmcs_id
        self.reason = reason


class FormatChanged(ValueError):
    """A required field is missing from every record of a page."""

    def __init__(self, field: str) -> None:
        super().__init__(f"WHMCS response format changed: no invoice has the field '{field}'")
        self.field = field


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, which
# was a measurable part of a full sync's per-row cost. Treat records as read-only all the same.
@dataclass(slots=True)
class InvoiceRecord:
    """The stored whitelist of one invoice (product.md S5). Amounts are exact ``Decimal``.

    ``whmcs_id`` is the invoice's id in its source (the name is historical).
    """

    whmcs_id: int
    number: str
    date: date
    date_paid: datetime | None
    status: str
    subtotal: Decimal
    tax: Decimal
    tax2: Decimal
    credit: Decimal
    total: Decimal
    taxrate: Decimal
    taxrate2: Decimal
    currency: str


@dataclass(slots=True)
class UnpaidRecord:
    """An Unpaid invoice as the forecast's pipeline keeps it: amounts, currency and dates only
    (the id is read to deduplicate pages, never stored)."""

    whmcs_id: int
    date: date
    due_date: date
    subtotal: Decimal
    tax: Decimal
    tax2: Decimal
    total: Decimal
    currency: str


class RawPage(Protocol):
    """One answer of :meth:`InvoiceSource.get_invoices`: the source's raw records."""

    total: int  # matching records in the source (it may never return them all)
    start: int
    returned: int
    records: list  # raw records, for the source's own parse methods


@dataclass
class ConnectionResult:
    """What "Test connection" found. ``ok`` with ``paid_invoices``, or the ``error``."""

    ok: bool
    paid_invoices: int | None = None
    error: errors.RemoteError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.ok:
            return ngettext(
                "Connection works: WHMCS holds %(count)s paid invoice.",
                "Connection works: WHMCS holds %(count)s paid invoices.",
                self.paid_invoices or 0,
            ) % {"count": count_text(self.paid_invoices)}
        if self.error is None:
            return ""
        return self.error.message

    @property
    def fix(self) -> str:
        return "" if self.ok or self.error is None else self.error.fix

    @property
    def kind(self) -> str:
        return "ok" if self.ok else (self.error.kind if self.error else "error")


class InvoiceSource(ABC):
    """An accounting system as the sync engine sees it. Use as a context manager.

    Capability flags (class attributes) tell the engine what more a source offers:

    - ``plain_text_rows``: :meth:`plain_paid_fields` gives a Paid record's fields as text
      without building ``Decimal`` values (the full sync's fast path on SQLite);
    - ``reads_pipeline``: ``get_invoices(status="Unpaid", orderby="duedate", order="desc")``
      pages the unpaid invoices by due date, newest first, and :meth:`unpaid_record` reads
      them (a sync then keeps the pipeline of unpaid invoices due ahead).
    """

    plain_text_rows: ClassVar[bool] = False
    reads_pipeline: ClassVar[bool] = False

    requests_made: int
    notes: list[str]

    @classmethod
    @abstractmethod
    def for_system(cls, system: AccountingSystem) -> InvoiceSource:
        """The source of a stored system (its URL, identifier and decrypted secret)."""

    @abstractmethod
    def get_invoices(
        self,
        *,
        limitstart: int = 0,
        limitnum: int = 25,
        status: str = "Paid",
        orderby: str = "id",
        order: str = "asc",
    ) -> RawPage:
        """One page of invoices with ``status``, by position in ``order`` of ids."""

    @abstractmethod
    def parse_invoice(self, raw: dict, tz: ZoneInfo | None = None) -> InvoiceRecord:
        """One raw record as an :class:`InvoiceRecord`; raises :class:`BadRecord` with a reason."""

    @abstractmethod
    def invoice_id(self, raw: object) -> int | None:
        """A raw record's id, or ``None`` when it has no readable one."""

    @abstractmethod
    def test_connection(self) -> ConnectionResult:
        """One request, short timeout, no retries; never raises for remote problems."""

    def close(self) -> None:  # noqa: B027 - a source without a connection has nothing to close
        """Release the connection (called once, at the end of a run)."""

    def parse_page(
        self, raws: list, tz: ZoneInfo | None = None
    ) -> tuple[list[InvoiceRecord], list[BadRecord]]:
        """``(good records, bad ones)`` of a page; a record that cannot be read is bad, never
        fatal."""
        good: list[InvoiceRecord] = []
        bad: list[BadRecord] = []
        for raw in raws:
            try:
                good.append(self.parse_invoice(raw, tz))
            except BadRecord as exc:
                bad.append(exc)
        return good, bad

    def plain_paid_fields(self, raw: dict, tz: ZoneInfo | None = None) -> tuple | None:
        """With ``plain_text_rows``: a Paid record's fields as text (see the WHMCS source), or
        ``None`` when it needs :meth:`parse_invoice`. Without: always ``None``."""
        return None

    def unpaid_record(self, raw: object, tz: ZoneInfo | None = None) -> tuple[UnpaidRecord, bool]:
        """With ``reads_pipeline``: a row of that paging with its due date, and whether it is
        still unpaid (``BadRecord`` when unreadable)."""
        raise NotImplementedError(f"{type(self).__name__} does not read the pipeline")

    def __enter__(self) -> InvoiceSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
