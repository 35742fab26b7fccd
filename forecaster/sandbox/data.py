"""Deterministic, compact WHMCS-like invoice data and the mutations tests need.

Build one with :func:`generate`::

    state = generate(DatasetSpec(invoices=1_000, seed=7))
    total, rows = state.query(status="Paid", orderby="id", order="asc", start=0, limit=100)
    page = [state.row_dict(r) for r in rows]
    state.refund(page[0]["id"])

Storage is column-oriented (``array`` per field, one slot per invoice, in id order) so that a
million invoices take about 100 MB and the hot query — ``status=Paid`` ordered by id, one page at
a time — is answered from a per-status index in O(page), not O(invoices).

Conventions (shared with :mod:`forecaster.sandbox.api`):

* money is held in integer cents and rates in thousandths of a percent, and they leave as
  two- and three-decimal strings (``"15.95"``, ``"23.000"``); :meth:`SandboxState.paid_invoices`
  hands out ``Decimal``;
* dates are day numbers and datetimes are seconds, both counted from 2000-01-01; ``0`` means
  WHMCS's zero-date ``"0000-00-00 00:00:00"``;
* ``total = subtotal + tax + tax2 - credit`` for generated rows (an assumption, whmcs-api.md §3),
  but ``total`` is stored on its own so a test can make it disagree.

Every public method of :class:`SandboxState` takes the state's lock, so the HTTP threads, the
fault hooks and a test's own thread may call them concurrently.
"""

from __future__ import annotations

import bisect
import random
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

# The seven stored statuses, by code. "Overdue" is a filter, never a stored status (§3).
STATUSES = ("Draft", "Unpaid", "Paid", "Cancelled", "Refunded", "Collections", "Payment Pending")
DRAFT, UNPAID, PAID, CANCELLED, REFUNDED, COLLECTIONS, PAYMENT_PENDING = range(7)
_STATUS_CODE = {name: code for code, name in enumerate(STATUSES)}
# A deleted invoice keeps its slot (so row numbers never move) but leaves every index.
_DELETED = 255

ZERO_DATETIME = "0000-00-00 00:00:00"
EPOCH = date(2000, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
# The dataset's own clock: fixed so that a seed always gives the same bytes. Override with
# DatasetSpec(today=...) or `forecaster sandbox --today`.
DEFAULT_TODAY = date(2026, 11, 23)

# WHMCS stores a prefix and a suffix per currency; the suffix starts with a space (§2).
_PREFIXES = {
    "USD": "$", "EUR": "€", "GBP": "£", "CAD": "$", "AUD": "$", "NZD": "$", "JPY": "¥",
    "INR": "₹", "BRL": "R$", "ZAR": "R", "TRY": "₺", "UAH": "₴", "KRW": "₩",
}  # fmt: skip

PAYMENT_METHODS = ("paypalcheckout", "stripe", "banktransfer", "mailin")
_STRIPE = 1

# Names chosen to trip careless code: accents, non-Latin scripts, quotes, ampersands and markup.
_FIRST_NAMES = (
    "Anna", "José", "Zoë", "Łukasz", "Søren", "Anaïs", "Mehmet", "Marie-Hélène", "Björn",
    "Siobhán", "Ngozi", "Yuki", "Дмитрий", "李", "Chloé", "Jürgen", "Amélie", "Tom & Jerry",
    "Mary \"Molly\"", "Åsa",
)  # fmt: skip
_LAST_NAMES = (
    "Kowalski", "Müller", "O'Brien", "Nguyễn", "García", "Smith", "Øvergård", "Dubois",
    "Иванова", "田中", "van der Berg", "D'Angelo", "Schröder", "Żółć", "<b>Bold</b>", "Núñez",
)  # fmt: skip
_COMPANIES = (
    "", "", "", "", "", "Acme Hosting Ltd", "Smith & Sons <Web>", "Café \"Zürich\" GmbH",
    "Ōsaka Servers 株式会社", "Łódź Data Sp. z o.o.", "Tom's <b>Bold</b> Shop", "Élan & Co.",
    "<script>alert('x')</script> Ltd", "Ünïcødé AB",
)  # fmt: skip
NOTES = (
    "",
    "Paid by bank transfer – ref #42",
    "Client asked for <b>PDF</b> & a paper copy",
    "Zahlung über PayPal; Danke!",
    "“Smart quotes”, 'single' & <angle> brackets",
    "Rabat 10% — stały klient",
    '</textarea><script>alert("notes")</script>',
    "Line one\nLine two\ttabbed",
)

# (rate1, rate2) in thousandths of a percent, and how often a client gets each profile.
_TAX_PROFILES = (
    ((0, 0), 55), ((23000, 0), 12), ((20000, 0), 10), ((19000, 0), 8), ((21000, 0), 5),
    ((5000, 9975), 5), ((5000, 7000), 5),
)  # fmt: skip
# Typical hosting prices in cents.
_PRICES = (
    199, 499, 595, 795, 995, 1295, 1595, 1995, 2495, 2900, 4900, 7900, 9900, 14900, 24900,
)  # fmt: skip


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate. The same spec always gives the same dataset.

    ``invoices`` live invoices (plus ``orphans`` extra ones whose client was deleted: WHMCS
    counts those in ``totalresults`` but never returns them, §2), spread over ``years`` years
    ending at ``today``. ``currency`` is every client's currency unless ``mixed_currencies``,
    which moves about one client in ten to a second currency (EUR, or USD when the main one is
    EUR).
    """

    invoices: int = 1000
    seed: int = 1
    currency: str = "USD"
    mixed_currencies: bool = False
    orphans: int = 0
    years: int = 5
    today: date = DEFAULT_TODAY
    paid_number_format: str = "FV/{YEAR}/{NUMBER}"
    number_width: int = 5  # {NUMBER} is zero-padded to this many digits (0: no padding)

    def __post_init__(self) -> None:
        if self.invoices < 0 or self.orphans < 0:
            raise ValueError("invoices and orphans must not be negative")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be a three-letter upper-case code, not {self.currency!r}")
        if self.years < 1:
            raise ValueError("years must be at least 1")


@dataclass(frozen=True)
class Currency:
    """A WHMCS currency as GetInvoices shows it (prefix and a suffix with a leading space)."""

    code: str
    prefix: str
    suffix: str

    @classmethod
    def for_code(cls, code: str) -> Currency:
        return cls(code, _PREFIXES.get(code, ""), " " + code)


@dataclass(frozen=True)
class Client:
    """A client row: only the name and currency reach GetInvoices; the e-mail never does."""

    id: int
    firstname: str
    lastname: str
    companyname: str
    email: str
    currency: Currency


def _cents(value: Decimal | str | int) -> int:
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(amount * 100)


def _thousandths(value: Decimal | str | int) -> int:
    rate = Decimal(str(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return int(rate * 1000)


_money_strings: dict[int, str] = {}
_rate_strings: dict[int, str] = {}


def money(cents: int) -> str:
    """Format integer cents as WHMCS does: ``money(1595) == "15.95"``."""
    text = _money_strings.get(cents)
    if text is None:
        sign = "-" if cents < 0 else ""
        whole, frac = divmod(abs(cents), 100)
        text = f"{sign}{whole}.{frac:02d}"
        # Amounts repeat a lot (price lists); the cache is bounded so odd amounts can't grow it.
        if len(_money_strings) < 100_000:
            _money_strings[cents] = text
    return text


def rate(thousandths: int) -> str:
    """Format a rate held in thousandths of a percent: ``rate(23000) == "23.000"``."""
    text = _rate_strings.get(thousandths)
    if text is None:
        whole, frac = divmod(thousandths, 1000)
        text = f"{whole}.{frac:03d}"
        if len(_rate_strings) < 10_000:
            _rate_strings[thousandths] = text
    return text


def _tax_of(cents: int, thousandths: int) -> int:
    # Exclusive tax, rounded half-up to the cent (whmcs-api.md §3, "Tax maths").
    return (cents * thousandths + 50_000) // 100_000


class SandboxState:
    """The invoices and clients of one sandbox, with queries and thread-safe mutations.

    Build it with :func:`generate`. Mutations used by tests (each returns nothing unless said):

    * ``add_invoice(...) -> int`` — a new invoice with the next id;
    * ``pay(id)``, ``refund(id)``, ``cancel(id)``, ``delete(id)``, ``set_status(id, status)``;
    * ``set_amounts(id, subtotal=..., tax=..., ...)`` — change money fields;
    * ``delete_client(userid)`` — turn that client's invoices into orphans.

    Read helpers: ``paid_invoices()`` (the authoritative expected result of a sync),
    ``invoice(id)`` (one invoice as GetInvoices renders it), ``ids(status=...)``, ``client(id)``.
    """

    def __init__(self, spec: DatasetSpec) -> None:
        self.spec = spec
        self.lock = threading.RLock()
        self.today_day = spec.today.toordinal() - _EPOCH_ORDINAL
        # Mutations stamp times from this clock: noon of `today`, plus one second per
        # mutation, so that repeated runs stay byte-identical.
        self._clock = self.today_day * 86400 + 12 * 3600
        self.version = 0  # bumped by every mutation; invalidates cached orderings
        self.clients: dict[int, Client] = {}
        # Columns, one slot per invoice row, rows in ascending id order.
        self.id = array("i")
        self.userid = array("i")
        self.date = array("i")
        self.duedate = array("i")
        self.datepaid = array("i")
        self.last_capture = array("i")
        self.date_refunded = array("i")
        self.date_cancelled = array("i")
        self.created = array("i")
        self.updated = array("i")
        self.subtotal = array("q")
        self.credit = array("q")
        self.tax = array("q")
        self.tax2 = array("q")
        self.total = array("q")
        self.taxrate = array("i")
        self.taxrate2 = array("i")
        self.status = array("B")
        self.paymethod = array("B")
        self.paymethodid = array("i")  # -1 means null
        self.notes = array("B")  # index into self.note_texts
        self.num_year = array("H")  # 0 = no invoicenum yet
        self.num_seq = array("i")
        self.note_texts: list[str] = list(NOTES)
        self._next_number: dict[int, int] = {}
        # Indexes of *visible* rows (not deleted, client exists), ascending row order.
        self._visible = array("i")
        self._by_status: list[array] = [array("i") for _ in STATUSES]
        # Rows of deleted clients still count in totalresults (§2), so count them per status.
        self._orphans: list[int] = [0] * len(STATUSES)
        self._orphans_by_user: dict[int, list[int]] = {}
        self._sorted_cache: OrderedDict[tuple, tuple[int, tuple[int, array]]] = OrderedDict()
        self._client_profiles: list[tuple[tuple[int, int], tuple[int, int]]] = []

    # ----- building -------------------------------------------------------------------------

    def _append(
        self, *, id: int, userid: int, day: int, due: int, status: int, paid: int,
        capture: int, refunded: int, cancelled: int, created: int, updated: int,
        subtotal: int, credit: int, tax: int, tax2: int, total: int, taxrate: int,
        taxrate2: int, paymethod: int, paymethodid: int, notes: int,
    ) -> int:  # fmt: skip
        row = len(self.id)
        self.id.append(id)
        self.userid.append(userid)
        self.date.append(day)
        self.duedate.append(due)
        self.datepaid.append(paid)
        self.last_capture.append(capture)
        self.date_refunded.append(refunded)
        self.date_cancelled.append(cancelled)
        self.created.append(created)
        self.updated.append(updated)
        self.subtotal.append(subtotal)
        self.credit.append(credit)
        self.tax.append(tax)
        self.tax2.append(tax2)
        self.total.append(total)
        self.taxrate.append(taxrate)
        self.taxrate2.append(taxrate2)
        self.status.append(status)
        self.paymethod.append(paymethod)
        self.paymethodid.append(paymethodid)
        self.notes.append(notes)
        self.num_year.append(0)
        self.num_seq.append(0)
        return row

    def _build_indexes(self) -> None:
        clients, status, userid = self.clients, self.status, self.userid
        rows = range(len(status))
        orphan_rows = [r for r in rows if userid[r] not in clients and status[r] != _DELETED]
        for r in orphan_rows:
            self._orphans[status[r]] += 1
            self._orphans_by_user.setdefault(userid[r], []).append(r)
        orphan_set = set(orphan_rows)
        visible = [r for r in rows if r not in orphan_set and status[r] != _DELETED]
        by_status: list[list[int]] = [[] for _ in STATUSES]
        appenders = [seq.append for seq in by_status]
        for r in visible:
            appenders[status[r]](r)
        self._visible = array("i", visible)
        self._by_status = [array("i", seq) for seq in by_status]

    def _number(self, row: int, paid_secs: int) -> None:
        # Sequential paid numbering, reset every year (proforma invoicing, §3).
        year = (EPOCH + timedelta(days=paid_secs // 86400)).year
        seq = self._next_number.get(year, 0) + 1
        self._next_number[year] = seq
        self.num_year[row] = year
        self.num_seq[row] = seq

    # ----- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of invoices that exist (orphans included, deleted ones not)."""
        with self.lock:
            return len(self._visible) + sum(self._orphans)

    def row_of(self, invoice_id: int) -> int:
        """Row number of an existing invoice id; ``KeyError`` if there is none."""
        row = bisect.bisect_left(self.id, invoice_id)
        if row == len(self.id) or self.id[row] != invoice_id or self.status[row] == _DELETED:
            raise KeyError(invoice_id)
        return row

    def invoicenum(self, row: int) -> str:
        seq = self.num_seq[row]
        if not seq:
            return ""
        return self.spec.paid_number_format.replace("{YEAR}", str(self.num_year[row])).replace(
            "{NUMBER}", str(seq).zfill(self.spec.number_width)
        )

    def client(self, userid: int) -> Client | None:
        """The client with this id, or ``None`` once deleted."""
        return self.clients.get(userid)

    def ids(self, status: str | None = None, *, include_orphans: bool = False) -> list[int]:
        """Invoice ids, ascending, optionally of one stored status (e.g. ``"Paid"``)."""
        with self.lock:
            rows: list[int] = list(self._visible if status is None else self._by_status[_STATUS_CODE[status]])
            if include_orphans:
                for orphan_rows in self._orphans_by_user.values():
                    rows.extend(
                        r for r in orphan_rows if status is None or self.status[r] == _STATUS_CODE[status]
                    )
                rows.sort()
            return [self.id[r] for r in rows]

    def is_visible(self, row: int) -> bool:
        return self.status[row] != _DELETED and self.userid[row] in self.clients

    def query(
        self,
        *,
        userid: int = 0,
        status: str = "",
        orderby: str = "",
        order: str = "asc",
        start: int = 0,
        limit: int = 25,
    ) -> tuple[int, list[int]]:
        """Answer a GetInvoices query: ``(totalresults, rows of the page)``.

        Arguments are already normalised (see :mod:`forecaster.sandbox.api`): ``userid`` 0
        means any client, ``status`` "" means any status, ``order`` is "asc" or "desc".
        ``totalresults`` counts orphans; the page never contains them (§2).
        """
        with self.lock:
            descending = order == "desc"
            if orderby == "id" and not userid and status != "Overdue":
                # The hot path of every sync: O(page) from the maintained index.
                if status:
                    code = _code_ci(status)
                    if code is None:
                        return 0, []
                    seq = self._by_status[code]
                    total = len(seq) + self._orphans[code]
                else:
                    seq = self._visible
                    total = len(seq) + sum(self._orphans)
                n = len(seq)
                if descending:
                    lo, hi = max(n - start - limit, 0), max(n - start, 0)
                    return total, list(reversed(seq[lo:hi]))
                return total, list(seq[start : start + limit])
            total, seq = self._filtered_sorted(userid, status, orderby, descending)
            return total, list(seq[start : start + limit])

    def _filtered_sorted(self, userid: int, status: str, orderby: str, descending: bool) -> tuple[int, array]:
        key = (userid, status, orderby, descending)
        cached = self._sorted_cache.get(key)
        if cached is not None and cached[0] == self.version:
            self._sorted_cache.move_to_end(key)
            return cached[1]
        rows, orphans = self._filtered(userid, status)
        rows = self._sort(rows, orderby, descending)
        result = (len(rows) + orphans, array("i", rows))
        self._sorted_cache[key] = (self.version, result)
        if len(self._sorted_cache) > 16:
            self._sorted_cache.popitem(last=False)
        return result

    def _filtered(self, userid: int, status: str) -> tuple[list[int], int]:
        """Visible rows matching the filters (id order), and how many orphans also match."""
        orphans = [r for rows in self._orphans_by_user.values() for r in rows]
        if status == "Overdue":
            # Overdue = Unpaid and due before today (§2); a filter, not a status.
            code: int | None = UNPAID
        elif status:
            code = _code_ci(status)
            if code is None:
                return [], 0
        else:
            code = None
        rows = list(self._visible if code is None else self._by_status[code])
        if code is not None:
            orphans = [r for r in orphans if self.status[r] == code]
        if status == "Overdue":
            due, today = self.duedate, self.today_day
            rows = [r for r in rows if due[r] < today]
            orphans = [r for r in orphans if due[r] < today]
        if userid:
            users = self.userid
            rows = [r for r in rows if users[r] == userid]
            orphans = [r for r in orphans if users[r] == userid]
        return rows, len(orphans)

    def _sort(self, rows: list[int], orderby: str, descending: bool) -> list[int]:
        # `rows` arrive in id order, and Python's sort is stable (also with reverse=True), so
        # ties keep id order: deterministic, where MySQL leaves them unspecified.
        if orderby == "id":
            return rows[::-1] if descending else rows
        if orderby == "invoicenumber":
            # ORDER BY invoicenum <order>, id <order>: a *string* sort (INV-10 < INV-9).
            return sorted(rows, key=lambda r: (self.invoicenum(r), r), reverse=descending)
        column = {"date": self.date, "duedate": self.duedate, "total": self.total}.get(orderby)
        if column is not None:
            return sorted(rows, key=column.__getitem__, reverse=descending)
        if orderby == "status":
            status = self.status
            return sorted(rows, key=lambda r: STATUSES[status[r]], reverse=descending)
        # Default (and unknown orderby): ORDER BY status DESC, duedate <order>. Not unique, and
        # it reshuffles as invoices get paid: why clients must send orderby=id (§2, §7).
        status, due = self.status, self.duedate
        by_due = sorted(rows, key=due.__getitem__, reverse=descending)
        return sorted(by_due, key=lambda r: STATUSES[status[r]], reverse=True)

    def paid_invoices(self) -> dict[int, dict]:
        """What a correct sync must hold: every Paid invoice GetInvoices can return.

        Returns ``{id: {"invoicenum", "date", "datepaid", "subtotal", "credit", "tax", "tax2",
        "total", "taxrate", "taxrate2", "currencycode", "status"}}``; amounts and rates are
        ``Decimal``, dates ``date``/``datetime`` (``None`` for a zero-date). Orphans are left
        out because WHMCS never returns them.
        """
        with self.lock:
            return {self.id[r]: self._expected(r) for r in self._by_status[PAID]}

    def _expected(self, row: int) -> dict:
        client = self.clients[self.userid[row]]
        cents = Decimal("0.01")
        return {
            "invoicenum": self.invoicenum(row),
            "date": _as_date(self.date[row]),
            "datepaid": _as_datetime(self.datepaid[row]),
            "subtotal": self.subtotal[row] * cents,
            "credit": self.credit[row] * cents,
            "tax": self.tax[row] * cents,
            "tax2": self.tax2[row] * cents,
            "total": self.total[row] * cents,
            "taxrate": self.taxrate[row] * Decimal("0.001"),
            "taxrate2": self.taxrate2[row] * Decimal("0.001"),
            "currencycode": client.currency.code,
            "status": STATUSES[self.status[row]],
        }

    def invoice(self, invoice_id: int) -> dict:
        """One invoice exactly as GetInvoices renders it (8.x types); ``KeyError`` if none."""
        with self.lock:
            return self.row_dict(self.row_of(invoice_id))

    def row_dict(self, row: int) -> dict:
        """Render one row as a GetInvoices invoice object (field order as WHMCS 8.x)."""
        client = self.clients.get(self.userid[row])
        first, last, company = (
            (client.firstname, client.lastname, client.companyname) if client else ("", "", "")
        )
        currency = client.currency if client else Currency.for_code(self.spec.currency)
        pmid = self.paymethodid[row]
        return {
            "id": self.id[row],
            "userid": self.userid[row],
            "firstname": first,
            "lastname": last,
            "companyname": company,
            "invoicenum": self.invoicenum(row),
            "date": day_str(self.date[row]),
            "duedate": day_str(self.duedate[row]),
            "datepaid": datetime_str(self.datepaid[row]),
            "last_capture_attempt": datetime_str(self.last_capture[row]),
            "date_refunded": datetime_str(self.date_refunded[row]),
            "date_cancelled": datetime_str(self.date_cancelled[row]),
            "subtotal": money(self.subtotal[row]),
            "credit": money(self.credit[row]),
            "tax": money(self.tax[row]),
            "tax2": money(self.tax2[row]),
            "total": money(self.total[row]),
            "taxrate": rate(self.taxrate[row]),
            "taxrate2": rate(self.taxrate2[row]),
            "status": STATUSES[self.status[row]],
            "paymentmethod": PAYMENT_METHODS[self.paymethod[row]],
            "paymethodid": None if pmid < 0 else pmid,
            "notes": self.note_texts[self.notes[row]],
            "created_at": datetime_str(self.created[row]),
            "updated_at": datetime_str(self.updated[row]),
            "currencycode": currency.code,
            "currencyprefix": currency.prefix,
            "currencysuffix": currency.suffix,
        }

    # ----- mutations ------------------------------------------------------------------------

    def _tick(self, when: datetime | None) -> int:
        self.version += 1
        if when is not None:
            return _secs(when)
        self._clock += 1
        return self._clock

    def _move(self, row: int, new_status: int) -> None:
        old = self.status[row]
        if old == new_status:
            return
        userid = self.userid[row]
        if userid in self.clients:
            if old != _DELETED:
                _remove_sorted(self._by_status[old], row)
            if new_status != _DELETED:
                _insert_sorted(self._by_status[new_status], row)
            if old == _DELETED:
                _insert_sorted(self._visible, row)
            elif new_status == _DELETED:
                _remove_sorted(self._visible, row)
        else:
            if old != _DELETED:
                self._orphans[old] -= 1
            if new_status != _DELETED:
                self._orphans[new_status] += 1
            if new_status == _DELETED:
                self._orphans_by_user[userid].remove(row)
        self.status[row] = new_status

    def set_status(self, invoice_id: int, status: str, *, when: datetime | None = None) -> None:
        """Set any status, as UpdateInvoice allows (even Paid → Unpaid, §3)."""
        code = _STATUS_CODE[status]
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(when)
            self._move(row, code)
            self.updated[row] = now

    def pay(self, invoice_id: int, *, when: datetime | None = None) -> None:
        """Mark paid now (or ``when``): sets ``datepaid`` and, if empty, the next invoicenum."""
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(when)
            self._move(row, PAID)
            self.datepaid[row] = now
            if self.paymethod[row] == _STRIPE:
                self.last_capture[row] = now
            if not self.num_seq[row]:
                self._number(row, now)
            self.updated[row] = now

    def refund(self, invoice_id: int, *, when: datetime | None = None) -> None:
        """Mark refunded now (or ``when``); ``datepaid`` and the number stay."""
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(when)
            self._move(row, REFUNDED)
            self.date_refunded[row] = now
            self.updated[row] = now

    def cancel(self, invoice_id: int, *, when: datetime | None = None) -> None:
        """Mark cancelled now (or ``when``)."""
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(when)
            self._move(row, CANCELLED)
            self.date_cancelled[row] = now
            self.updated[row] = now

    def delete(self, invoice_id: int) -> None:
        """Delete the invoice: it simply disappears from GetInvoices (§7)."""
        with self.lock:
            row = self.row_of(invoice_id)
            self._tick(None)
            self._move(row, _DELETED)

    def delete_client(self, userid: int) -> int:
        """Delete a client, leaving its invoices as orphans; returns how many there were."""
        with self.lock:
            if userid not in self.clients:
                raise KeyError(userid)
            self._tick(None)
            del self.clients[userid]
            rows = [r for r in self._visible if self.userid[r] == userid]
            for r in rows:
                _remove_sorted(self._visible, r)
                _remove_sorted(self._by_status[self.status[r]], r)
                self._orphans[self.status[r]] += 1
            self._orphans_by_user.setdefault(userid, []).extend(rows)
            return len(rows)

    def set_amounts(
        self,
        invoice_id: int,
        *,
        subtotal: Decimal | str | None = None,
        credit: Decimal | str | None = None,
        tax: Decimal | str | None = None,
        tax2: Decimal | str | None = None,
        total: Decimal | str | None = None,
        taxrate: Decimal | str | None = None,
        taxrate2: Decimal | str | None = None,
    ) -> None:
        """Change money fields. ``total`` is recomputed unless given; taxes are not."""
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(None)
            for column, value in (
                (self.subtotal, subtotal), (self.credit, credit),
                (self.tax, tax), (self.tax2, tax2),
            ):  # fmt: skip
                if value is not None:
                    column[row] = _cents(value)
            if taxrate is not None:
                self.taxrate[row] = _thousandths(taxrate)
            if taxrate2 is not None:
                self.taxrate2[row] = _thousandths(taxrate2)
            self.total[row] = (
                _cents(total)
                if total is not None
                else self.subtotal[row] + self.tax[row] + self.tax2[row] - self.credit[row]
            )
            self.updated[row] = now

    def add_invoice(
        self,
        *,
        userid: int | None = None,
        subtotal: Decimal | str = "10.00",
        taxrate: Decimal | str = "0",
        taxrate2: Decimal | str = "0",
        credit: Decimal | str = "0",
        status: str = "Unpaid",
        invoice_date: date | None = None,
        notes: str = "",
        paymentmethod: str = "banktransfer",
    ) -> int:
        """Create an invoice with the next id (above every existing one); returns its id.

        Taxes are computed exclusive and rounded half-up; ``total = subtotal + tax + tax2 -
        credit``. A ``"Paid"`` status is applied through :meth:`pay`, so it gets a
        ``datepaid`` and an invoicenum.
        """
        with self.lock:
            if userid is None:
                userid = next(iter(self.clients))
            if userid not in self.clients:
                raise KeyError(f"no client {userid}")
            now = self._tick(None)
            day = self.today_day if invoice_date is None else _day(invoice_date)
            sub, r1, r2 = _cents(subtotal), _thousandths(taxrate), _thousandths(taxrate2)
            tax, tax2 = _tax_of(sub, r1), _tax_of(sub, r2)
            cred = _cents(credit)
            if notes not in self.note_texts:
                self.note_texts.append(notes)
            row = self._append(
                id=(self.id[-1] + 1) if len(self.id) else 1, userid=userid, day=day, due=day + 7,
                status=_DELETED, paid=0, capture=0, refunded=0, cancelled=0, created=now,
                updated=now, subtotal=sub, credit=cred, tax=tax, tax2=tax2,
                total=sub + tax + tax2 - cred, taxrate=r1, taxrate2=r2,
                paymethod=PAYMENT_METHODS.index(paymentmethod), paymethodid=-1,
                notes=self.note_texts.index(notes),
            )  # fmt: skip
            invoice_id = self.id[row]
            if status == "Paid":
                self._move(row, UNPAID)
                self.pay(invoice_id)
            else:
                self._move(row, _STATUS_CODE[status])
            return invoice_id

    def random_ids(self, status: str, count: int, rng: random.Random) -> list[int]:
        """Up to ``count`` distinct random ids of visible invoices with this status."""
        with self.lock:
            rows = self._by_status[_STATUS_CODE[status]]
            picked = rng.sample(range(len(rows)), min(count, len(rows)))
            return [self.id[rows[i]] for i in picked]


# ----- generation ---------------------------------------------------------------------------


def generate(spec: DatasetSpec) -> SandboxState:
    """Generate the dataset for ``spec``: same spec, same data, byte for byte.

    About 7 s per million invoices. Ids rise with the invoice date and have gaps; statuses
    follow a hosting business (mostly Paid; recent invoices often still Unpaid); paid invoices
    are numbered sequentially in order of payment, per year.
    """
    rng = random.Random(f"forecaster-sandbox:{spec.seed}")
    state = SandboxState(spec)
    _make_clients(state, rng)
    client_ids = list(state.clients)
    n_clients = len(client_ids)
    count = spec.invoices + spec.orphans
    # Orphans belong to clients that no longer exist: ids above every live client.
    ghosts = [client_ids[-1] + 1 + k for k in range(spec.orphans // 5 + 1)]
    orphan_slots = sorted(rng.sample(range(count), spec.orphans))

    # Built column by column with comprehensions (several times faster than one loop that
    # appends row by row), each column packed into an array at once so that the peak memory
    # stays a few hundred MB at a million rows.
    bits = array("Q", [rng.getrandbits(64) for _ in range(count)])
    rolls = array("d", [rng.random() for _ in range(count)])
    more = array("d", [rng.random() for _ in range(count)])
    s = state
    s.id = array("i", accumulate(1 if b & 63 else 2 + (b >> 6 & 7) for b in bits))  # gaps
    today, span = s.today_day, spec.years * 365
    first_day = today - span
    # The business grows: invoices get denser towards today.
    days = s.date = array("i", [first_day + int(span * ((i + 0.5) / count) ** 0.7)
                                for i in range(count)])  # fmt: skip
    cidx = array("i", [(b >> 9) % n_clients for b in bits])
    for k, slot in enumerate(orphan_slots):
        cidx[slot] = -1 - (k % len(ghosts))
    profiles = s._client_profiles + [((0, 0), (0, -1))] * len(ghosts)
    s.userid = array("i", [client_ids[c] if c >= 0 else ghosts[-1 - c] for c in cidx])
    by_client = [[p[0][0] for p in profiles], [p[0][1] for p in profiles],
                 [p[1][0] for p in profiles], [p[1][1] for p in profiles]]  # fmt: skip
    rates1 = s.taxrate = array("i", [by_client[0][c] for c in cidx])
    rates2 = s.taxrate2 = array("i", [by_client[1][c] for c in cidx])
    methods = s.paymethod = array("B", [by_client[2][c] for c in cidx])
    s.paymethodid = array("i", [by_client[3][c] for c in cidx])
    del cidx
    prices, n_prices = _PRICES, len(_PRICES)
    subs = s.subtotal = array("q", [prices[(b >> 25) % n_prices] * (1 + ((b >> 29) & 3 == 0)) for b in bits])
    recent = today - 14  # recent invoices are often still unpaid
    new_cut, new_codes = (0.45, 0.88, 0.91, 0.95), (UNPAID, PAID, PAYMENT_PENDING, DRAFT, CANCELLED)
    old_cut = (0.885, 0.945, 0.965, 0.985, 0.993, 0.997)
    old_codes = (PAID, CANCELLED, UNPAID, REFUNDED, COLLECTIONS, PAYMENT_PENDING, DRAFT)
    statuses = s.status = array("B", [
        new_codes[bisect.bisect(new_cut, r)] if d >= recent else old_codes[bisect.bisect(old_cut, r)]
        for d, r in zip(days, rolls, strict=True)
    ])  # fmt: skip
    del rolls
    s.tax = array("q", [(a * t + 50_000) // 100_000 for a, t in zip(subs, rates1, strict=True)])
    s.tax2 = array("q", [(a * t + 50_000) // 100_000 for a, t in zip(subs, rates2, strict=True)])
    # About 1 in 64 is paid in full from credit, 1 in 64 partly.
    s.credit = array("q", [
        (a + t + u) if b >> 31 & 63 == 0 else (a + t + u) // 3 if b >> 31 & 63 == 1 else 0
        for a, t, u, b in zip(subs, s.tax, s.tax2, bits, strict=True)
    ])  # fmt: skip
    s.total = array("q", [
        a + t + u - c for a, t, u, c in zip(subs, s.tax, s.tax2, s.credit, strict=True)
    ])  # fmt: skip
    terms = (7, 14, 0, 7)
    dues = s.duedate = array("i", [d + terms[b >> 37 & 3] for d, b in zip(days, bits, strict=True)])
    now = s._clock
    legacy_before = today - 4 * 365  # created_at/updated_at did not exist on old rows
    last_ok = now - 60
    created = s.created = array("i", [
        0 if d < legacy_before else c if (c := d * 86400 + 28_800 + (b >> 39 & 0x3FFF)) < last_ok
        else last_ok
        for d, b in zip(days, bits, strict=True)
    ])  # fmt: skip
    paid_states = {PAID, REFUNDED, COLLECTIONS}
    last_ok = now - 1
    datepaid = s.datepaid = array("i", [
        (p if (p := (d + (delay if (delay := b >> 53 & 15) < today - d else today - d)) * 86400
                    + 45_000 + int(m * 40_000)) < last_ok else last_ok)
        if st in paid_states else 0
        for d, b, m, st in zip(days, bits, more, statuses, strict=True)
    ])  # fmt: skip
    s.last_capture = array("i", [p if m == _STRIPE else 0 for p, m in zip(datepaid, methods, strict=True)])
    refunded = s.date_refunded = array("i", [
        min(p + 86400 * (1 + (b >> 57 & 15)), now - 1) if st == REFUNDED else 0
        for p, b, st in zip(datepaid, bits, statuses, strict=True)
    ])  # fmt: skip
    cancelled = s.date_cancelled = array("i", [
        min(d * 86400 + 86400 * (b >> 57 & 15) + 3600, now - 1) if st == CANCELLED else 0
        for d, b, st in zip(dues, bits, statuses, strict=True)
    ])  # fmt: skip
    # The last event is the payment, the refund or the cancellation, whichever exists.
    s.updated = array("i", [
        0 if not c else (u if (u := (r or x or p or c) + 5) < now else now)
        for c, p, r, x in zip(created, datepaid, refunded, cancelled, strict=True)
    ])  # fmt: skip
    n_notes = len(NOTES)
    s.notes = array("B", [
        0 if b >> 61 else 1 + int(m * 997) % (n_notes - 1) for b, m in zip(bits, more, strict=True)
    ])  # fmt: skip
    del bits, more
    s.num_year = array("H", bytes(2 * count))
    s.num_seq = array("i", bytes(4 * count))
    _number_paid(s, datepaid)
    s._build_indexes()
    return s


def _make_clients(state: SandboxState, rng: random.Random) -> None:
    spec = state.spec
    n_clients = max(1, min(spec.invoices // 20 + 1, 50_000))
    main = Currency.for_code(spec.currency)
    second = Currency.for_code("USD" if spec.currency == "EUR" else "EUR")
    tax_choices = [p for p, w in _TAX_PROFILES for _ in range(w)]
    profiles = []
    client_id = 0
    for i in range(n_clients):
        client_id += 1 + (rng.randrange(3) if rng.random() < 0.05 else 0)
        first = rng.choice(_FIRST_NAMES)
        last = rng.choice(_LAST_NAMES)
        currency = second if spec.mixed_currencies and i % 10 == 9 else main
        state.clients[client_id] = Client(
            id=client_id, firstname=first, lastname=last, companyname=rng.choice(_COMPANIES),
            email=f"{first}.{last}+{client_id}@example.test".lower().replace(" ", ""),
            currency=currency,
        )  # fmt: skip
        method = rng.randrange(len(PAYMENT_METHODS))
        profiles.append((rng.choice(tax_choices), (method, 1000 + client_id if method == _STRIPE else -1)))
    state._client_profiles = profiles


def _number_paid(state: SandboxState, datepaid: array) -> None:
    # Sequential paid numbering in order of payment, reset every year (proforma, §3): so the
    # invoicenum order differs from the id order.
    paid_rows = sorted((r for r, p in enumerate(datepaid) if p), key=datepaid.__getitem__)
    year, seq, next_year_at = 0, 0, -1
    num_year, num_seq = state.num_year, state.num_seq
    for row in paid_rows:
        secs = datepaid[row]
        if secs >= next_year_at:
            year = (EPOCH + timedelta(days=secs // 86400)).year
            next_year_at = (date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86400
            seq = state._next_number.get(year, 0)
        seq += 1
        num_year[row] = year
        num_seq[row] = seq
        state._next_number[year] = seq


# ----- helpers ------------------------------------------------------------------------------

_day_strings: dict[int, str] = {}


def day_str(day: int) -> str:
    """Day number → ``"YYYY-MM-DD"`` (cached: a dataset has only a few thousand days)."""
    text = _day_strings.get(day)
    if text is None:
        text = _day_strings[day] = (EPOCH + timedelta(days=day)).isoformat()
    return text


_times_of_day: list[str] = []


def datetime_str(secs: int) -> str:
    """Seconds → ``"YYYY-MM-DD HH:MM:SS"``; 0 → the WHMCS zero-date."""
    if not secs:
        return ZERO_DATETIME
    if not _times_of_day:
        _times_of_day.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    day, rest = divmod(secs, 86400)
    return f"{day_str(day)} {_times_of_day[rest]}"


def _day(value: date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


def _secs(value: datetime) -> int:
    return _day(value.date()) * 86400 + value.hour * 3600 + value.minute * 60 + value.second


def _as_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def _as_datetime(secs: int) -> datetime | None:
    if not secs:
        return None
    return datetime(2000, 1, 1) + timedelta(seconds=secs)


def _code_ci(status: str) -> int | None:
    # MySQL's default collation compares case-insensitively, so status=paid finds Paid rows.
    lowered = status.lower()
    for code, name in enumerate(STATUSES):
        if name.lower() == lowered:
            return code
    return None


def _insert_sorted(seq: array, value: int) -> None:
    seq.insert(bisect.bisect_left(seq, value), value)


def _remove_sorted(seq: array, value: int) -> None:
    i = bisect.bisect_left(seq, value)
    if i < len(seq) and seq[i] == value:
        del seq[i]
