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

Beyond the paid invoices, a source may offer what the sync's ledger (``forecaster.sync.ledger``)
uses to keep deposits, mass payments and refunds apart from sales — each behind a capability
flag, and each skipped for a source without it (the revenue notes then say what cannot be told
apart, in the words of :meth:`InvoiceSource.revenue_gap`)::

    if source.tells_invoice_kinds:
        details = source.invoice_details(42)      # kind and transactions; None when gone
    if source.lists_transactions:
        refunds = [t for t in source.transactions() if t.money_out > 0]
    for status in source.returned_statuses:       # invoices refunded in full, charged back
        page = source.get_invoices(status=status)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, gettext_noop, ngettext

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
    """A required field is missing from every record of a page.

    ``str()`` is the English text a sync run stores (a page shows it translated): ``text``, a
    msgid marked with ``gettext_noop`` and filled in with ``%(field)s``; a type may pass its own
    wording, the default speaks of the accounting system.
    """

    TEXT = gettext_noop(
        "The accounting system's response format changed: no invoice has the field '%(field)s'."
    )

    def __init__(self, field: str, text: str = TEXT) -> None:
        super().__init__(text % {"field": field})
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


# What an invoice's items make it (:attr:`InvoiceDetails.kind`): only a sale is revenue; the
# money of a deposit or a mass payment pays other invoices, which count themselves.
SALE, DEPOSIT, MASS_PAYMENT = "sale", "deposit", "mass_payment"

# The features beyond paid invoices (the names of the capability methods), as the ledger and
# :meth:`InvoiceSource.revenue_gap` speak of them.
INVOICE_DETAILS, TRANSACTIONS = "invoice_details", "transactions"
FEATURES = (INVOICE_DETAILS, TRANSACTIONS)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One payment or refund booked on an invoice: amounts exact, nothing about the payer."""

    id: int  # unique within the source
    invoice: int  # the invoice's id in the source
    day: date
    money_in: Decimal
    money_out: Decimal  # > 0: a refund or a chargeback


@dataclass(frozen=True)
class InvoiceDetails:
    """What :meth:`InvoiceSource.invoice_details` tells about one invoice."""

    kind: str  # SALE, DEPOSIT or MASS_PAYMENT
    transactions: list[Transaction] = field(default_factory=list)


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
    # Which of its permissions (by the source's names) the account has, when checked.
    permissions: dict[str, bool] = field(default_factory=dict)

    @property
    def permission_rows(self) -> list[tuple[str, bool, str]]:
        """``(permission, allowed, what it unlocks)`` for each permission checked."""
        return [(name, ok, "") for name, ok in self.permissions.items()]

    @property
    def message(self) -> str:
        if self.ok:
            return ngettext(
                "Connection works: the system holds %(count)s paid invoice.",
                "Connection works: the system holds %(count)s paid invoices.",
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

    - ``reads_pipeline``: ``get_invoices(status="Unpaid", orderby="duedate", order="desc")``
      pages the unpaid invoices by due date, newest first, and :meth:`unpaid_record` reads
      them (a sync then keeps the pipeline of unpaid invoices due ahead);
    - ``tells_invoice_kinds``: :meth:`invoice_details` gives an invoice's kind (sale, deposit,
      mass payment) and its transactions;
    - ``lists_transactions``: :meth:`transactions` gives every transaction in one call;
    - ``returned_statuses``: the statuses ``get_invoices`` pages for invoices that were paid
      and whose money went back (refunded in full, charged back); empty when it has none;
    - ``permission_names``: when the account may be refused a feature, the source's name for
      the permission each needs (``{TRANSACTIONS: "GetTransactions"}``); :meth:`permissions`
      asks which are allowed. Empty: every feature the flags offer is allowed.
    """

    reads_pipeline: ClassVar[bool] = False
    tells_invoice_kinds: ClassVar[bool] = False
    lists_transactions: ClassVar[bool] = False
    returned_statuses: ClassVar[tuple[str, ...]] = ()
    permission_names: ClassVar[dict[str, str]] = {}

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

    def unpaid_record(self, raw: object, tz: ZoneInfo | None = None) -> tuple[UnpaidRecord, bool]:
        """With ``reads_pipeline``: a row of that paging with its due date, and whether it is
        still unpaid (``BadRecord`` when unreadable)."""
        raise NotImplementedError(f"{type(self).__name__} does not read the pipeline")

    def invoice_details(self, invoice_id: int) -> InvoiceDetails | None:
        """With ``tells_invoice_kinds``: the invoice's kind and transactions, ``None`` when the
        source no longer has it; ``errors.PermissionMissing`` when the account is refused."""
        raise NotImplementedError(f"{type(self).__name__} does not tell invoice kinds")

    def transactions(self) -> list[Transaction]:
        """With ``lists_transactions``: every transaction (``errors.PermissionMissing`` when the
        account is refused)."""
        raise NotImplementedError(f"{type(self).__name__} does not list transactions")

    def permissions(self, *, retry: bool = False) -> dict[str, bool]:
        """Which permissions (by the source's names) the account allows, asked right after its
        paid invoices were read; ``retry``: transient errors are retried as pages are. ``{}``
        for a source without ``permission_names``."""
        return {}

    @classmethod
    def revenue_gap(cls, system: str, missing: frozenset[str], candidates: int) -> str:
        """What the revenue of the system named ``system`` cannot tell apart without the
        features in ``missing`` (``candidates``: its paid invoices without tax, any of which may
        be a deposit or a mass payment), said so that a user knows what to do; ``""`` when
        nothing is missing. A source with permissions overrides it to name them."""
        if INVOICE_DETAILS in missing:
            return ngettext(
                "%(system)s: this type of system does not tell deposits and mass payments from sales, "
                "so %(count)s paid invoice without tax may be a deposit or a mass payment counted as "
                "revenue, and refunds are not subtracted.",
                "%(system)s: this type of system does not tell deposits and mass payments from sales, "
                "so %(count)s paid invoices without tax may be deposits or mass payments counted as "
                "revenue, and refunds are not subtracted.",
                candidates,
            ) % {"system": system, "count": count_text(candidates)}
        if TRANSACTIONS in missing:
            return gettext(
                "%(system)s: this type of system does not list transactions, so a partial refund of an "
                "invoice that is still paid is not subtracted."
            ) % {"system": system}
        return ""

    def __enter__(self) -> InvoiceSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def offered_features(source: object) -> set[str]:
    """The features beyond paid invoices ``source`` (a class or an instance) offers."""
    flags = {INVOICE_DETAILS: "tells_invoice_kinds", TRANSACTIONS: "lists_transactions"}
    return {feature for feature, flag in flags.items() if getattr(source, flag, False)}
