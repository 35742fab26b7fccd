"""Contract terms and the original's "To end" — pure functions over dates and ``Decimal``.

No database, no request: the forecast, the pages and the CLI all call these.

    >>> base = Terms(starts_on=date(2023, 6, 1), expires_on=date(2024, 5, 31),
    ...              notice=Notice(3, "months"), tacit_renewal=True, renewal_months=12)
    >>> annex = Change(effective_on=date(2024, 1, 1), notice=Notice(30, "days"))
    >>> t = terms_on(base, [annex], date(2024, 2, 1))
    >>> t.notice
    Notice(value=30, unit='days')
    >>> term_end(base, date(2025, 2, 1))          # renewed once: expiry + 1 × 12 months
    datetime.date(2025, 5, 31)
    >>> cancel_by(base, date(2025, 2, 1))          # 3 months before 31 May
    datetime.date(2025, 2, 28)

The rules (commitments.md, "Contract terms"):

* **Terms in force on a date** (:func:`terms_on`) = the agreement's terms overridden by every
  annex effective on or before that date, in order of effective date (ties: the order given).
  A ``None`` field of a :class:`Change` leaves that term unchanged.
* **End of the current term** (:func:`term_end`): the expiry date; for a tacitly renewing
  agreement past its expiry, ``expiry + k × renewal length`` with the smallest ``k`` that is on
  or after ``today``. ``None`` for an indefinite agreement.
* **Cancel-by** (:func:`cancel_by`) = end of the current term − notice. Months are calendar
  months counted from the end date, clamped to the month's last day when the day does not exist
  (3 months before 31 May is 28 February, or 29 in a leap year; 1 month before 30 March is
  28/29 February). Renewal periods are always added to the *original* expiry, so a term never
  drifts (31 Jan + 1 month = 28/29 Feb, + 2 months = 31 Mar).
* **Earliest end** (:func:`earliest_end`): what the agreement can be ended on if notice is given
  today — for an indefinite agreement with a notice period ``today + notice`` (rolling); for a
  renewing one whose cancel-by for the current term has passed, the end of the next term.
* **To end** (:func:`to_end`), the original's forecast: ``months(a, b)`` = whole calendar months
  from a to b inclusive; duration = ``months(start, end)`` (``months(start, today)`` when
  indefinite); months left = ``months(today, end)`` when ``end > today``, else 0, and 12 for an
  indefinite commitment; average per month = net ÷ duration; To end = average × months left.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

DAYS = "days"
MONTHS = "months"
NOTICE_UNITS = (DAYS, MONTHS)
DEFAULT_RENEWAL_MONTHS = 12
INDEFINITE_MONTHS_LEFT = 12
CENT = Decimal("0.01")


# --- calendar --------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (negative goes back), clamped to the last
    day of the target month.

    >>> add_months(date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> add_months(date(2023, 5, 31), -3)
    datetime.date(2023, 2, 28)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def months_inclusive(a: date, b: date) -> int:
    """Whole calendar months from ``a`` to ``b``, both months counted; 0 when ``a > b``.

    >>> months_inclusive(date(2024, 1, 31), date(2024, 3, 1))
    3
    """
    if a > b:
        return 0
    return (b.year - a.year) * 12 + (b.month - a.month) + 1


# --- notice ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Notice:
    """A notice period: ``Notice(3, "months")`` or ``Notice(30, "days")``."""

    value: int
    unit: str = MONTHS

    def __post_init__(self) -> None:
        if self.unit not in NOTICE_UNITS:
            raise ValueError(f"notice unit must be one of {', '.join(NOTICE_UNITS)}")
        if self.value < 0:
            raise ValueError("notice cannot be negative")

    def before(self, day: date) -> date:
        """The date this notice period before ``day`` (calendar-aware for months)."""
        if self.unit == DAYS:
            return day - timedelta(days=self.value)
        return add_months(day, -self.value)

    def after(self, day: date) -> date:
        """The date this notice period after ``day``."""
        if self.unit == DAYS:
            return day + timedelta(days=self.value)
        return add_months(day, self.value)

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"


# --- terms -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Terms:
    """The terms of an agreement. ``expires_on=None`` or ``indefinite=True``: no fixed end."""

    starts_on: date | None = None
    expires_on: date | None = None
    indefinite: bool = False
    notice: Notice | None = None
    tacit_renewal: bool = False
    renewal_months: int | None = None
    price: Decimal | None = None
    currency: str | None = None

    @property
    def is_indefinite(self) -> bool:
        return self.indefinite or self.expires_on is None


@dataclass(frozen=True)
class Change:
    """An annex: what it changes from ``effective_on`` on. ``None`` = unchanged.

    Setting ``expires_on`` makes the agreement fixed-term again (unless ``indefinite=True``
    is set too); ``indefinite=True`` removes the expiry.
    """

    effective_on: date
    expires_on: date | None = None
    indefinite: bool | None = None
    notice: Notice | None = None
    tacit_renewal: bool | None = None
    renewal_months: int | None = None
    price: Decimal | None = None
    currency: str | None = None


def apply_change(terms: Terms, change: Change) -> Terms:
    """``terms`` with one annex applied (ignores its effective date)."""
    updates: dict = {}
    if change.expires_on is not None:
        updates["expires_on"] = change.expires_on
        updates["indefinite"] = False
    if change.indefinite is not None:
        updates["indefinite"] = change.indefinite
        if change.indefinite:
            updates["expires_on"] = None
    for name in ("notice", "tacit_renewal", "renewal_months", "price", "currency"):
        value = getattr(change, name)
        if value is not None:
            updates[name] = value
    return replace(terms, **updates)


def terms_on(base: Terms, changes: Iterable[Change], day: date) -> Terms:
    """The terms in force on ``day``: every change effective on or before ``day`` applied in
    order of effective date (a stable sort, so same-day annexes apply in the order given)."""
    result = base
    for change in sorted(changes, key=lambda c: c.effective_on):
        if change.effective_on <= day:
            result = apply_change(result, change)
    return result


def _renewal_months(terms: Terms) -> int:
    return terms.renewal_months or DEFAULT_RENEWAL_MONTHS


def term_end(terms: Terms, today: date) -> date | None:
    """The end of the term running on ``today``; ``None`` when indefinite.

    Without tacit renewal this is the expiry date, even when it has passed. With tacit renewal
    and ``today`` after the expiry: ``expiry + k × renewal months``, the first on or after today.

    >>> term_end(Terms(expires_on=date(2024, 2, 29), tacit_renewal=True), date(2024, 3, 1))
    datetime.date(2025, 2, 28)
    """
    if terms.is_indefinite:
        return None
    expiry = terms.expires_on
    assert expiry is not None
    if not terms.tacit_renewal or today <= expiry:
        return expiry
    step = _renewal_months(terms)
    k = max(1, (months_inclusive(expiry, today) - 1) // step)
    end = add_months(expiry, k * step)
    while end < today:
        k += 1
        end = add_months(expiry, k * step)
    return end


def cancel_by(terms: Terms, today: date) -> date | None:
    """The last day to give notice so the agreement ends with the current term:
    ``term_end − notice``. ``None`` when indefinite (see :func:`earliest_end`) or no notice
    period is agreed (then the term simply ends or renews)."""
    end = term_end(terms, today)
    if end is None or terms.notice is None:
        return None
    return terms.notice.before(end)


@dataclass(frozen=True)
class Cancellation:
    """When the agreement can end if notice is given on ``cancel_by`` (None = not needed)."""

    cancel_by: date | None
    ends_on: date | None
    renews: bool


def earliest_end(terms: Terms, today: date) -> Cancellation:
    """The earliest end reachable from ``today``.

    * indefinite with a notice period: notice given today, ends ``today + notice``;
    * indefinite without notice: ``Cancellation(None, None, False)`` — no end can be computed;
    * fixed term without renewal: ends on the expiry, nothing to cancel (``cancel_by=None``);
    * tacit renewal: the current term's end if its cancel-by is still ahead (or today),
      otherwise the next term's end and its cancel-by.

    >>> earliest_end(Terms(indefinite=True, notice=Notice(1, "months")), date(2024, 1, 31))
    Cancellation(cancel_by=datetime.date(2024, 1, 31), ends_on=datetime.date(2024, 2, 29), renews=False)
    """
    if terms.is_indefinite:
        if terms.notice is None:
            return Cancellation(None, None, False)
        return Cancellation(today, terms.notice.after(today), False)
    end = term_end(terms, today)
    assert end is not None
    if not terms.tacit_renewal:
        return Cancellation(None, end, False)
    if terms.notice is None:
        return Cancellation(end, end, True)
    deadline = terms.notice.before(end)
    if deadline >= today:
        return Cancellation(deadline, end, True)
    # Too late for this term: the next one (computed from the original expiry, no drift).
    nxt = term_end(terms, end + timedelta(days=1))
    assert nxt is not None
    return Cancellation(terms.notice.before(nxt), nxt, True)


# --- the original's "To end" -----------------------------------------------------------------
@dataclass(frozen=True)
class ToEnd:
    """The original forecast of one commitment (amounts rounded half-up to the cent)."""

    duration_months: int
    months_left: int
    average_net: Decimal
    average_gross: Decimal
    net: Decimal
    gross: Decimal


def to_end(net: Decimal, gross: Decimal, start: date | None, end: date | None, today: date) -> ToEnd:
    """The original's "To end" of a commitment whose cost invoices sum to ``net``/``gross``,
    running from ``start`` to ``end`` (``None`` = indefinite).

    >>> to_end(Decimal("1200"), Decimal("1476"), date(2024, 1, 1), date(2024, 12, 31),
    ...        date(2024, 10, 15)).net
    Decimal('300.00')
    """
    if start is None:
        return ToEnd(0, 0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    if end is None:
        duration = months_inclusive(start, today)
        left = INDEFINITE_MONTHS_LEFT
    else:
        duration = months_inclusive(start, end)
        left = months_inclusive(today, end) if end > today else 0
    if duration == 0:
        avg_net = avg_gross = Decimal(0)
    else:
        avg_net = Decimal(net) / duration
        avg_gross = Decimal(gross) / duration

    def cents(value: Decimal) -> Decimal:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    return ToEnd(
        duration_months=duration,
        months_left=left,
        average_net=cents(avg_net),
        average_gross=cents(avg_gross),
        net=cents(avg_net * left),
        gross=cents(avg_gross * left),
    )
