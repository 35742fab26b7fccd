"""Contract deadlines: every agreement's ends of term and cancel-by dates in the coming months.

    >>> rows = deadlines(today=date(2026, 12, 2))          # the next 12 months, most urgent first
    >>> rows[0].action_date, rows[0].kind, rows[0].at_stake

The date rules are the costs app's (``forecaster.costs.terms``); this module only walks them
forward through the window:

* a fixed-term agreement gives its **expiry** (``kind="expires"``; nothing to cancel, but it ends);
* a tacitly renewing one gives every **end of term** in the window with its **cancel-by** date
  (``kind="renews"``), following the renewals (and any annex that takes effect on the way);
* an indefinite agreement with a notice period gives its **rolling** earliest end
  (``kind="rolling"``: notice given today ends it on today + notice).

A deadline is *urgent* by its action date: the cancel-by date when there is one, else the end.
**Cost at stake** is what the agreement's commitments are forecast to cost from the current
month until the next possible end (the cost forecast's months, net, base currency): the money
that a missed cancel-by date commits for another term.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from forecaster.costs import terms as T
from forecaster.costs.models import Agreement
from forecaster.forecasts.history import add_months, month_start

WINDOW_MONTHS = 12
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Deadline:
    agreement_id: int
    title: str
    counterparty: str
    kind: str  # "renews", "expires" or "rolling"
    term_end: date | None
    cancel_by: date | None
    notice: str
    next_possible_end: date | None
    at_stake: Decimal
    today: date

    @property
    def action_date(self) -> date:
        return self.cancel_by or self.term_end or self.today

    @property
    def days_left(self) -> int:
        return (self.action_date - self.today).days

    @property
    def missed(self) -> bool:
        """The cancel-by date of this term has passed: it will renew."""
        return self.cancel_by is not None and self.cancel_by < self.today


def _term_ends(agreement: Agreement, today: date, until: date) -> list[tuple[date, T.Terms]]:
    """Every end of term from ``today`` to ``until``, with the terms in force at that end."""
    out = []
    day = today
    for _guard in range(400):  # a one-month renewal gives at most a dozen ends in a year
        terms = agreement.terms_on(day)
        end = T.term_end(terms, day)
        if end is None or end > until:
            break
        if end >= today:
            out.append((end, terms))
        if not terms.tacit_renewal:
            break
        day = end + timedelta(days=1)
    return out


def deadlines(
    today: date, months: int = WINDOW_MONTHS, at_stake: dict[int, Decimal] | None = None
) -> list[Deadline]:
    """The deadlines of the next ``months`` months, most urgent first.

    ``at_stake`` maps an agreement id to its cost at stake; by default it is computed from the
    cost forecast (see :func:`cost_at_stake`).
    """
    until = date.fromordinal(add_months(month_start(today), months).toordinal() - 1)
    agreements = list(Agreement.objects.select_related("counterparty").prefetch_related("annexes"))
    if at_stake is None:
        at_stake = cost_at_stake(today, agreements)
    rows: list[Deadline] = []
    for a in agreements:
        terms = a.terms_on(today)
        stake = at_stake.get(a.pk, ZERO)
        notice = str(terms.notice) if terms.notice else ""
        if terms.is_indefinite:
            if terms.notice is None:
                continue  # no end can be computed
            rows.append(
                Deadline(
                    a.pk, a.title, str(a.counterparty), "rolling", None, today, notice,
                    terms.notice.after(today), stake, today,
                )
            )  # fmt: skip
            continue
        nxt = T.earliest_end(terms, today).ends_on
        for end, end_terms in _term_ends(a, today, until):
            kind = "renews" if end_terms.tacit_renewal else "expires"
            cancel = end_terms.notice.before(end) if (kind == "renews" and end_terms.notice) else None
            rows.append(
                Deadline(
                    a.pk, a.title, str(a.counterparty), kind, end, cancel,
                    str(end_terms.notice) if end_terms.notice else "", nxt, stake, today,
                )
            )  # fmt: skip
    # Most urgent first; a missed cancel-by (it renews anyway) sorts by its end instead.
    rows.sort(key=lambda d: ((d.term_end or d.action_date) if d.missed else d.action_date, d.title))
    return rows


def cost_at_stake(today: date, agreements: list[Agreement]) -> dict[int, Decimal]:
    """Per agreement: its commitments' forecast cost from the current month to the month of its
    next possible end (inclusive), net in the base currency."""
    from forecaster.forecasts.costs import cost_forecast

    ends = {}
    for a in agreements:
        terms = a.terms_on(today)
        ends[a.pk] = T.earliest_end(terms, today).ends_on
    furthest = max((e for e in ends.values() if e is not None), default=None)
    if furthest is None:
        return {}
    count = min(
        (furthest.year - today.year) * 12 + furthest.month - today.month + 1,
        WINDOW_MONTHS * 3,
    )
    months = [add_months(month_start(today), i) for i in range(max(count, 1))]
    cf = cost_forecast(today, months)
    by_agreement: dict[int, Decimal] = {}
    from forecaster.costs.models import Commitment

    owners = dict(Commitment.objects.filter(agreement__isnull=False).values_list("pk", "agreement_id"))
    for line in cf.lines:
        if not line.key.startswith("commitment:"):
            continue
        agreement_id = owners.get(int(line.key.split(":")[1]))
        end = ends.get(agreement_id)
        if agreement_id is None or end is None:
            continue
        total = sum((amt for m, amt in zip(months, line.amounts, strict=True) if m <= end), ZERO)
        by_agreement[agreement_id] = by_agreement.get(agreement_id, ZERO) + total
    return by_agreement
