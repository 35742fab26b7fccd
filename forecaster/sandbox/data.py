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
    # Money cases added on top of the generated invoices (all 0: the data is byte for byte what
    # it always was). See forecaster/sandbox/README.md, "Money cases".
    deposits: int = 0  # Add Funds invoices, each spent in full by 1-3 later invoices paid from credit
    mass_payments: int = 0  # Mass Payment invoices, each paying 2-4 invoices through credit
    partial_refunds: int = 0  # paid invoices with part of the payment refunded (stay Paid)
    full_refunds: int = 0  # paid invoices refunded in full (status Refunded)
    chargebacks: int = 0  # paid invoices whose payment was reversed (status Collections)
    # Unpaid invoices issued in the last 30 days and due 1 to 6 months after ``today`` (renewals
    # invoiced ahead): the pipeline a forecast adds. Drawn from their own random stream.
    unpaid_ahead: int = 0

    def __post_init__(self) -> None:
        if self.invoices < 0 or self.orphans < 0:
            raise ValueError("invoices and orphans must not be negative")
        cases = (self.deposits, self.mass_payments, self.partial_refunds, self.full_refunds, self.chargebacks)
        if min(cases) < 0 or self.unpaid_ahead < 0:
            raise ValueError("the numbers of money cases must not be negative")
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


# Transaction ids: a paid invoice's payment has the invoice's own id; refunds, reversals and
# deposits' payments added later count from here.
EXTRA_TX_IDS = 1_000_000_000
# Statuses an invoice that was paid can have and still carry its payment (§3 transitions).
_WAS_PAID = frozenset({2, 4, 5})  # Paid, Refunded, Collections


@dataclass(frozen=True)
class Transaction:
    """One money movement of an invoice, as GetInvoice/GetTransactions show it (cents)."""

    id: int
    invoice_id: int
    secs: int  # when, seconds since EPOCH
    amountin: int
    amountout: int
    refundid: int  # the payment a refund or reversal takes back (0 for a payment)
    description: str


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
        # Invoices that are not plain sales, by id: ("AddFunds",) or ("Invoice", child ids).
        self.kinds: dict[int, tuple] = {}
        # Transactions beyond the implicit payment of each paid invoice, by invoice id.
        self.extra_tx: dict[int, list[Transaction]] = {}
        self._next_tx = EXTRA_TX_IDS
        # Clients whose record holds malformed UTF-8 (JSON answers containing them fail).
        self.malformed_clients: set[int] = set()

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

    def cash(self, by: str = "month") -> dict[tuple[str, str], Decimal]:
        """The sandbox's own truth in money: received minus returned (``amountin −
        amountout`` of every transaction), per period of the transaction's date and currency.

        ``{("2025-03", "USD"): Decimal("1234.56"), ...}``; ``by`` is year, month or day.
        """
        out: dict[tuple[str, str], Decimal] = {}
        with self.lock:
            for r in self._visible:
                currency = self.clients[self.userid[r]].currency.code
                for t in self._transactions(r):
                    key = (_period(t.secs // 86400, by), currency)
                    out[key] = out.get(key, Decimal("0.00")) + (t.amountin - t.amountout) * Decimal("0.01")
        return out

    def revenue_truth(self, basis: str = "invoice", by: str = "month") -> dict[tuple[str, str], tuple]:
        """Revenue as the product defines it (README, "Money"), computed here independently:
        ``{(period, currency): (net, tax)}``.

        Sales invoices that were paid (Paid, Refunded, Collections) count in full, net =
        subtotal, tax = tax + tax2, in the period of their invoice date (``basis="invoice"``) or
        date paid (``"paid"``); deposits (Add Funds) and Mass Payment invoices do not count.
        Each refund or reversal counts negative on its own date, split in the invoice's
        proportion: net = refund × subtotal / gross rounded half-up, tax = refund − net.
        """
        out: dict[tuple[str, str], tuple] = {}

        def add(key: tuple[str, str], net: Decimal, tax: Decimal) -> None:
            old = out.get(key, (Decimal("0.00"), Decimal("0.00")))
            out[key] = (old[0] + net, old[1] + tax)

        cent = Decimal("0.01")
        with self.lock:
            for r in self._visible:
                if self.status[r] not in _WAS_PAID or self.id[r] in self.kinds:
                    continue  # never paid, or a deposit or Mass Payment invoice
                currency = self.clients[self.userid[r]].currency.code
                day = self.date[r] if basis == "invoice" else self.datepaid[r] // 86400
                net, tax = self.subtotal[r], self.tax[r] + self.tax2[r]
                add((_period(day, by), currency), net * cent, tax * cent)
                gross = net + tax
                for t in self._transactions(r):
                    if t.amountout and gross:
                        back = t.amountout * cent
                        back_net = (back * net / gross).quantize(cent, rounding=ROUND_HALF_UP)
                        add((_period(t.secs // 86400, by), currency), -back_net, -(back - back_net))
        return out

    def pipeline_truth(self, since: date) -> dict[tuple[str, str], Decimal]:
        """Net (subtotal) of the Unpaid invoices GetInvoices returns that are due on or after
        ``since``, per ``(due month "YYYY-MM", currency)``: what a sync's pipeline must hold."""
        out: dict[tuple[str, str], Decimal] = {}
        first = _day(since)
        with self.lock:
            for row in range(len(self.id)):
                if self.status[row] != UNPAID or self.duedate[row] < first or not self.is_visible(row):
                    continue
                key = (_period(self.duedate[row], "month"), self.clients[self.userid[row]].currency.code)
                out[key] = out.get(key, Decimal("0.00")) + self.subtotal[row] * Decimal("0.01")
        return out

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

    def refund(
        self, invoice_id: int, *, when: datetime | None = None, amount: Decimal | str | None = None
    ) -> None:
        """Refund now (or ``when``): a transaction with ``amountout`` taking back ``amount`` of
        the money paid (all of what is left when ``None``). Refunding everything marks the
        invoice Refunded (``datepaid`` and the number stay); a part leaves it Paid."""
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(when)
            left = self._refundable(row)
            cents = left if amount is None else _cents(amount)
            if cents > left:
                raise ValueError(f"only {money(left)} of invoice {invoice_id} can be refunded")
            if cents > 0:
                self._add_tx(invoice_id, now, 0, cents, "Refund")
            if cents == left:
                self._move(row, REFUNDED)
                self.date_refunded[row] = now
            self.updated[row] = now

    def chargeback(self, invoice_id: int, *, when: datetime | None = None) -> None:
        """A payment reversal (chargeback) now (or ``when``): the money paid goes back out in a
        reversal transaction and the status becomes Collections (§3, payment reversals)."""
        with self.lock:
            row = self.row_of(invoice_id)
            now = self._tick(when)
            left = self._refundable(row)
            if left > 0:
                self._add_tx(invoice_id, now, 0, left, "Payment Reversal")
            self._move(row, COLLECTIONS)
            self.updated[row] = now

    def _refundable(self, row: int) -> int:
        paid = sum(t.amountin - t.amountout for t in self._transactions(row))
        return max(paid, 0)

    def _add_tx(self, invoice_id: int, secs: int, amountin: int, amountout: int, what: str) -> None:
        self._next_tx += 1
        refundid = invoice_id if amountout else 0  # the payment's transaction id (see transactions)
        tx = Transaction(self._next_tx, invoice_id, secs, amountin, amountout, refundid, what)
        self.extra_tx.setdefault(invoice_id, []).append(tx)

    def transactions(self, invoice_id: int) -> list[Transaction]:
        """The invoice's transactions, oldest first; ``KeyError`` if there is no such invoice.

        A paid invoice with money to pay (``total`` > 0) has its payment (transaction id = the
        invoice id, on ``datepaid``); one paid wholly from credit has none. Refunds, reversals
        and the like follow. Invoices generated Refunded or Collections carry their refund or
        reversal of the whole payment (on ``date_refunded``, or 30 days after payment).
        """
        with self.lock:
            return self._transactions(self.row_of(invoice_id))

    def _transactions(self, row: int) -> list[Transaction]:
        invoice_id = self.id[row]
        paid = self.datepaid[row]
        txs: list[Transaction] = []
        if paid and self.total[row] > 0 and (self.status[row] in _WAS_PAID or invoice_id in self.extra_tx):
            txs.append(Transaction(invoice_id, invoice_id, paid, self.total[row], 0, 0, "Invoice Payment"))
        extra = self.extra_tx.get(invoice_id, [])
        if txs and not extra and self.status[row] in (REFUNDED, COLLECTIONS):
            # Generated refunds and chargebacks: the whole payment went back.
            back = self.date_refunded[row] or min(paid + 30 * 86400, self._clock)
            what = "Refund" if self.status[row] == REFUNDED else "Payment Reversal"
            txs.append(
                Transaction(EXTRA_TX_IDS - invoice_id, invoice_id, back, 0, txs[0].amountin, invoice_id, what)
            )
        txs.extend(extra)
        return txs

    def all_transactions(self, *, userid: int = 0) -> list[Transaction]:
        """Every transaction of visible invoices (of one client when ``userid``), by id."""
        with self.lock:
            rows = self._visible if not userid else [r for r in self._visible if self.userid[r] == userid]
            txs = [t for r in rows for t in self._transactions(r)]
            return sorted(txs, key=lambda t: t.id)

    def item_kind(self, invoice_id: int) -> tuple:
        """``()`` for a sale, ``("AddFunds",)`` for a deposit, ``("Invoice", [ids])`` for a
        Mass Payment invoice and the invoices it pays."""
        return self.kinds.get(invoice_id, ())

    def mark_malformed(self, invoice_id: int) -> int:
        """Give the client of this invoice a record with malformed UTF-8: every JSON answer that
        contains one of its invoices then fails (§ "Error generating JSON encoded response").
        Returns the client id."""
        with self.lock:
            userid = self.userid[self.row_of(invoice_id)]
            self.malformed_clients.add(userid)
            return userid

    def add_deposit(self, *, userid: int, amount: Decimal | str, when: datetime) -> int:
        """An Add Funds invoice of ``amount`` paid at ``when`` (no tax): client credit."""
        with self.lock:
            invoice_id = self.add_invoice(
                userid=userid, subtotal=amount, status="Paid", invoice_date=when.date(), paid_at=when
            )
            self.kinds[invoice_id] = ("AddFunds",)
            return invoice_id

    def add_mass_payment(self, child_ids: list[int], *, when: datetime) -> int:
        """A Mass Payment invoice paying the Unpaid ``child_ids`` (one client): it is paid at
        ``when`` with money, and the children are paid from the credit it brings."""
        with self.lock:
            rows = [self.row_of(c) for c in child_ids]
            userid = self.userid[rows[0]]
            gross = [self.subtotal[r] + self.tax[r] + self.tax2[r] for r in rows]
            mass = self.add_invoice(
                userid=userid,
                subtotal=money(sum(gross)),
                status="Paid",
                invoice_date=when.date(),
                paid_at=when,
            )
            self.kinds[mass] = ("Invoice", list(child_ids))
            for child, r, g in zip(child_ids, rows, gross, strict=True):
                self.credit[r] = g
                self.total[r] = 0
                self.pay(child, when=when)
            return mass

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
        paid_at: datetime | None = None,
        from_credit: bool = False,
        due_date: date | None = None,
    ) -> int:
        """Create an invoice with the next id (above every existing one); returns its id.

        Taxes are computed exclusive and rounded half-up; ``total = subtotal + tax + tax2 -
        credit``. A ``"Paid"`` status is applied through :meth:`pay` (at ``paid_at``, or now),
        so it gets a ``datepaid`` and an invoicenum. ``from_credit`` pays it wholly from client
        credit: ``credit`` = the gross amount, ``total`` 0, and no payment transaction.
        ``due_date`` defaults to a week after the invoice date.
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
            cred = sub + tax + tax2 if from_credit else _cents(credit)
            if notes not in self.note_texts:
                self.note_texts.append(notes)
            row = self._append(
                id=(self.id[-1] + 1) if len(self.id) else 1, userid=userid, day=day,
                due=day + 7 if due_date is None else _day(due_date),
                status=_DELETED, paid=0, capture=0, refunded=0, cancelled=0, created=now,
                updated=now, subtotal=sub, credit=cred, tax=tax, tax2=tax2,
                total=sub + tax + tax2 - cred, taxrate=r1, taxrate2=r2,
                paymethod=PAYMENT_METHODS.index(paymentmethod), paymethodid=-1,
                notes=self.note_texts.index(notes),
            )  # fmt: skip
            invoice_id = self.id[row]
            if status == "Paid":
                self._move(row, UNPAID)
                self.pay(invoice_id, when=paid_at)
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
    s._next_tx = EXTRA_TX_IDS + (s.id[-1] if count else 0)
    if any((spec.deposits, spec.mass_payments, spec.partial_refunds, spec.full_refunds, spec.chargebacks)):
        _add_money_cases(s, random.Random(f"forecaster-sandbox-cases:{spec.seed}"))
    if spec.unpaid_ahead:
        _add_unpaid_ahead(s, random.Random(f"forecaster-sandbox-ahead:{spec.seed}"))
    return s


def _add_unpaid_ahead(state: SandboxState, rng: random.Random) -> None:
    """``unpaid_ahead`` Unpaid invoices issued in the last 30 days, due 1 to 6 months ahead."""
    clients = list(state.clients)
    today = state.today_day
    for _ in range(state.spec.unpaid_ahead):
        userid = rng.choice(clients)
        (r1, r2), _pay = state._client_profiles[clients.index(userid)]
        state.add_invoice(
            userid=userid, subtotal=money(_PRICES[rng.randrange(len(_PRICES))]), taxrate=rate(r1),
            taxrate2=rate(r2), invoice_date=_as_date(today - rng.randrange(30)),
            due_date=_as_date(today + 30 * (1 + rng.randrange(6)) + rng.randrange(30)),
        )  # fmt: skip


def _add_money_cases(state: SandboxState, rng: random.Random) -> None:
    """Deposits, mass payments, refunds and chargebacks on top of the generated invoices, each
    as WHMCS books it (docs/whmcs-api-notes.md). Dates are in the past, before the clock."""
    spec = state.spec
    clients = list(state.clients)
    first, last = state.today_day - spec.years * 365 + 30, state.today_day - 3
    cap = state._clock - 1

    def moment(day: int) -> datetime:
        secs = min(day * 86400 + 36_000 + rng.randrange(20_000), cap)
        return datetime(2000, 1, 1) + timedelta(seconds=secs)

    def sale(userid: int, day: int, **kwargs: object) -> int:
        (r1, r2), _ = state._client_profiles[clients.index(userid)]
        price = _PRICES[rng.randrange(len(_PRICES))]
        return state.add_invoice(
            userid=userid, subtotal=money(price), taxrate=rate(r1), taxrate2=rate(r2),
            invoice_date=_as_date(day), **kwargs,
        )  # fmt: skip

    for _ in range(spec.deposits):
        userid = rng.choice(clients)
        day = rng.randrange(first, last - 60)
        # The invoices later paid from the deposit, then the deposit of exactly their sum.
        spent = [
            sale(userid, day + 5 + rng.randrange(55), status="Draft") for _ in range(1 + rng.randrange(3))
        ]
        rows = [state.row_of(i) for i in spent]
        amount = sum(state.subtotal[r] + state.tax[r] + state.tax2[r] for r in rows)
        state.add_deposit(userid=userid, amount=money(amount), when=moment(day))
        for invoice_id, r in zip(spent, rows, strict=True):
            state.credit[r] = state.subtotal[r] + state.tax[r] + state.tax2[r]
            state.total[r] = 0
            state._move(r, UNPAID)
            state.pay(invoice_id, when=moment(state.date[r]))
    for _ in range(spec.mass_payments):
        userid = rng.choice(clients)
        day = rng.randrange(first, last - 30)
        children = [sale(userid, day + rng.randrange(10)) for _ in range(2 + rng.randrange(3))]
        state.add_mass_payment(children, when=moment(day + 12 + rng.randrange(15)))
    paid = [i for i in state.ids("Paid") if i not in state.kinds and state.total[state.row_of(i)] > 0]
    picked = rng.sample(paid, min(len(paid), spec.partial_refunds + spec.full_refunds + spec.chargebacks))
    for n, invoice_id in enumerate(picked):
        row = state.row_of(invoice_id)
        paid_at = state.datepaid[row]
        back = min(paid_at + 86400 * (3 + rng.randrange(60)), cap)
        when = datetime(2000, 1, 1) + timedelta(seconds=max(back, paid_at + 1))
        if n < spec.partial_refunds:
            part = max(1, state.total[row] * (1 + rng.randrange(3)) // 4)
            state.refund(invoice_id, when=when, amount=money(part))
        elif n < spec.partial_refunds + spec.full_refunds:
            state.refund(invoice_id, when=when)
        else:
            state.chargeback(invoice_id, when=when)


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


def _period(day: int, by: str) -> str:
    text = day_str(day)
    return {"year": text[:4], "month": text[:7], "day": text}[by]


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
