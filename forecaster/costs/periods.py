"""A commitment's period, its "To end" and its expected cost schedule — for pages, reports and
the forecast. Reads the database; the date rules themselves are in :mod:`forecaster.costs.terms`.

    >>> p = period(commitment, today=date(2025, 3, 1))
    >>> p.start, p.end, p.source
    (datetime.date(2024, 1, 1), None, 'agreement')
    >>> [(d.isoformat(), str(a)) for d, a, _cur in schedule(commitment, date(2025, 1, 1), date(2025, 3, 31))]
    [('2025-01-01', '1000.00'), ('2025-02-01', '1000.00'), ('2025-03-01', '1100.00')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from forecaster.costs import terms as T
from forecaster.costs.models import FREQUENCY_MONTHS, Commitment


@dataclass(frozen=True)
class Period:
    """``start``/``end`` of a commitment (``end=None``: indefinite or not known yet).

    ``source``: ``agreement`` (dates follow the bound agreement's terms), ``own`` (typed in),
    ``invoices`` (first/last document date of its cost invoices) or ``none``.
    """

    start: date | None
    end: date | None
    indefinite: bool
    source: str


def period(c: Commitment, today: date, invoice_span: tuple[date | None, date | None] | None = None) -> Period:
    """The period of commitment ``c`` as of ``today``; ``invoice_span`` may be passed in when the
    caller already has the first and last document dates (lists do, to save a query a row)."""
    if c.agreement_id:
        terms = c.agreement.terms_on(today)
        end = T.term_end(terms, today)
        return Period(c.agreement.starts_on, end, end is None, "agreement")
    if invoice_span is None and (c.starts_on is None or (c.ends_on is None and not c.indefinite)):
        invoice_span = spans([c.pk]).get(c.pk, (None, None))
    first, last = invoice_span or (None, None)
    start = c.starts_on or first
    if c.indefinite:
        return Period(start, None, True, "own" if c.starts_on else ("invoices" if start else "none"))
    end = c.ends_on or last
    if c.starts_on or c.ends_on:
        return Period(start, end, False, "own")
    return Period(start, end, False, "invoices" if first else "none")


def invoice_totals(ids: list[int] | None = None) -> dict[int, tuple[Decimal, Decimal, date, date]]:
    """``{commitment id: (net, gross, first document date, last)}`` of the commitments' cost
    invoices (base currency), read from the maintained per-commitment aggregate: one small query
    however many invoices are held. Commitments without invoices are absent."""
    from forecaster.costs.models import CostCommitment

    rows = CostCommitment.objects.all()
    if ids is not None:
        rows = rows.filter(commitment_id__in=ids)
    out = {}
    for cid, net_cents, vat_cents, first, last in rows.values_list(
        "commitment_id", "net_cents", "vat_cents", "first_day", "last_day"
    ):
        net = Decimal(int(net_cents)).scaleb(-2)
        out[cid] = (net, net + Decimal(int(vat_cents)).scaleb(-2), first, last)
    return out


def spans(ids: list[int] | None = None) -> dict[int, tuple[date, date]]:
    """``{commitment id: (first document date, last)}`` of the commitments with cost invoices."""
    return {cid: (first, last) for cid, (_n, _g, first, last) in invoice_totals(ids).items()}


def to_end(c: Commitment, today: date) -> T.ToEnd:
    """The original's "To end" of ``c`` from the net and gross of its cost invoices (base currency)."""
    zero = Decimal("0.00")
    net, gross, _first, _last = invoice_totals([c.pk]).get(c.pk, (zero, zero, None, None))
    p = period(c, today)
    return T.to_end(net, gross, p.start, None if p.indefinite else p.end, today)


def amount_on(c: Commitment, day: date, steps: list | None = None) -> Decimal | None:
    """The expected amount of the schedule on ``day`` (the last price step on or before it)."""
    if c.expected_amount is None:
        return None
    amount = Decimal(c.expected_amount)
    for step in steps if steps is not None else c.price_steps.all():
        if step.effective_on <= day:
            amount = Decimal(step.amount)
    return amount


def schedule(
    c: Commitment, date_from: date, date_to: date, today: date | None = None
) -> list[tuple[date, Decimal, str]]:
    """Expected payments ``[(due date, net amount, currency)]`` of ``c`` between two dates
    (inclusive), in the schedule's own currency. Empty when ``c`` has no schedule.

    Due dates start at ``schedule_from`` (else the period's start) and step by the frequency in
    calendar months from that first date (no drift: 31 Jan, 29 Feb, 31 Mar …); they stop at
    ``schedule_until`` (else the period's end; open when indefinite). One-off: the first date only.
    """
    if c.expected_amount is None:
        return []
    p = period(c, today or date_from)
    first = c.schedule_from or p.start
    if first is None:
        return []
    until = c.schedule_until or (None if p.indefinite else p.end)
    last = date_to if until is None else min(until, date_to)
    steps = list(c.price_steps.all())
    step_months = FREQUENCY_MONTHS[c.frequency]
    out: list[tuple[date, Decimal, str]] = []
    k = 0
    while True:
        due = first if step_months == 0 else T.add_months(first, k * step_months)
        if due > last:
            break
        if due >= date_from:
            out.append((due, amount_on(c, due, steps), c.expected_currency))  # type: ignore[arg-type]
        if step_months == 0:
            break
        k += 1
    return out


def flagged_ids(today: date) -> set[int]:
    """Ids of commitments with a cost invoice dated after the commitment's end."""
    out: set[int] = set()
    found = spans()
    for c in Commitment.objects.filter(pk__in=found).select_related("agreement"):
        p = period(c, today, found[c.pk])
        if p.end is not None and found[c.pk][1] > p.end:
            out.add(c.pk)
    return out
