"""Cost and result queries: plain functions over the database, no request objects.

    >>> r = costs(date(2024, 1, 1), date(2024, 12, 31), by="month")
    >>> r.rows[0]
    CostRow(key='2024-01', label='2024-01', invoices=3, net=Decimal('1500.00'), vat=Decimal('345.00'))
    >>> result(date(2024, 1, 1), date(2024, 12, 31), by="month").total.net
    Decimal('12345.67')

Amounts are the cost invoices' base-currency amounts, summed as whole cents in SQL (exact on
SQLite and PostgreSQL), so any grouping of the same invoices adds up to the same total. A cost
invoice is placed in a period by its document date.

Groupings: ``year``, ``month``, ``day`` (periods), ``counterparty``, ``commitment`` and ``tag``.
By tag, an invoice with several tags counts under each of them (and untagged invoices under
"no tag"), so only that grouping may add up to more than the total; the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, F, Func, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth, TruncYear
from django.utils.translation import gettext as _

from forecaster.costs.models import CostInvoice
from forecaster.reports import queries as revenue_queries

PERIODS = ("year", "month", "day")
GROUPINGS = (*PERIODS, "counterparty", "commitment", "tag")
ZERO = Decimal("0.00")
cents = revenue_queries.cents


@dataclass(frozen=True)
class CostRow:
    """One group of a costs report: ``key`` identifies it (a period, or an id as text; ``""`` for
    "none"), ``label`` is what a person reads."""

    key: str
    label: str
    invoices: int
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass
class CostReport:
    currency: str
    by: str
    date_from: date | None
    date_to: date | None
    filters: dict[str, str] = field(default_factory=dict)
    rows: list[CostRow] = field(default_factory=list)
    total: CostRow | None = None  # the invoices' own total (by tag it can be less than the rows' sum)

    def __post_init__(self) -> None:
        if self.total is None:
            self.total = CostRow(
                "",
                "",
                sum(r.invoices for r in self.rows),
                sum((r.net for r in self.rows), ZERO),
                sum((r.vat for r in self.rows), ZERO),
            )


def _period_expression(by: str, column: str = "document_date") -> Func | F:
    # As in the revenue report: a prefix of SQLite's ISO text date is the period (no Python
    # callback per row); other engines truncate natively.
    if connection.vendor == "sqlite":
        return Substr(column, 1, {"year": 4, "month": 7, "day": 10}[by], output_field=CharField())
    natively: dict[str, Func | F] = {"year": TruncYear(column), "month": TruncMonth(column), "day": F(column)}
    return natively[by]


def _period_key(value: object, by: str) -> str:
    if isinstance(value, str):
        return value
    if by == "year":
        return f"{value.year:04d}"
    if by == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def invoices(
    date_from: date | None = None,
    date_to: date | None = None,
    counterparty: int | None = None,
    commitment: int | None = None,
    tag: int | None = None,
) -> QuerySet:
    """The cost invoices a report reads: document date inclusive, optional filters by id."""
    qs = CostInvoice.objects.all()
    if date_from is not None:
        qs = qs.filter(document_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(document_date__lte=date_to)
    if counterparty is not None:
        qs = qs.filter(counterparty_id=counterparty)
    if commitment is not None:
        qs = qs.filter(commitment_id=commitment)
    if tag is not None:
        qs = qs.filter(tags__id=tag)
    return qs.order_by()


def _sums(
    qs: QuerySet, key: Any, count: str = "", net: str = "net_base_cents", vat: str = "vat_base_cents"
) -> list:
    """``[(key, invoices, net cents, vat cents)]`` in key order; ``count`` names a column to sum
    (aggregate tables) instead of counting rows (invoices)."""
    grouped = (
        qs.annotate(k=key)
        .values_list("k")
        .annotate(n=Sum(count) if count else Count("id"), net=Sum(net), vat=Sum(vat))
        .order_by("k")
    )
    return revenue_queries._raw(grouped)


def _days_between(date_from: date | None, date_to: date | None) -> QuerySet:
    from forecaster.costs.models import CostDay

    qs = CostDay.objects.all()
    if date_from is not None:
        qs = qs.filter(day__gte=date_from)
    if date_to is not None:
        qs = qs.filter(day__lte=date_to)
    return qs.order_by()


def _split(
    date_from: date | None, date_to: date | None
) -> tuple[date | None, date | None, list[tuple[date | None, date | None]]]:
    """``(first month, month after the last, edge ranges)``: the whole months inside the range
    (read from the monthly aggregates) and the partial months at its ends (read from the
    invoices). ``None`` as first month: no whole month inside (everything from invoices)."""
    from forecaster.costs.terms import add_months

    edges = []
    first = None if date_from is None else date_from.replace(day=1)
    if date_from is not None and date_from.day != 1:
        first = add_months(date_from.replace(day=1), 1)
    after = None
    if date_to is not None:
        nxt = add_months(date_to.replace(day=1), 1)
        after = nxt if date_to.toordinal() + 1 == nxt.toordinal() else date_to.replace(day=1)
    if first is not None and after is not None and first >= after:
        return None, None, [(date_from, date_to)]
    if date_from is not None and first != date_from:
        edges.append((date_from, date.fromordinal(first.toordinal() - 1)))
    if date_to is not None and after is not None and after <= date_to:
        edges.append((after, date_to))
    return first, after, edges


def _monthly_sums(
    by: str,
    column: str,
    first: date | None,
    after: date | None,
    counterparty: int | None,
    commitment: int | None,
) -> list:
    """The whole months ``[first, after)`` from the monthly aggregates, grouped like ``_sums``."""
    from forecaster.costs.models import CostMonth, CostMonthTag

    table = CostMonthTag.objects.all() if by == "tag" else CostMonth.objects.all()
    if first is not None:
        table = table.filter(month__gte=first)
    if after is not None:
        table = table.filter(month__lt=after)
    if counterparty is not None:
        table = table.filter(counterparty_id=counterparty)
    if commitment is not None:
        table = table.filter(commitment_id=commitment)
    key = "tag_id" if by == "tag" else column
    return _sums(table.order_by(), F(key), count="invoices", net="net_cents", vat="vat_cents")


def _dimension_sums(
    by: str,
    date_from: date | None,
    date_to: date | None,
    counterparty: int | None,
    commitment: int | None,
    tag: int | None,
) -> dict:
    """``{key: (invoices, net cents, vat cents)}`` grouped by counterparty, commitment or tag."""
    column = {"counterparty": "counterparty_id", "commitment": "commitment_id", "tag": "tags__id"}[by]
    out: dict = {}

    def add(key: Any, n: int, net: int | None, vat: int | None) -> None:
        key = key or (0 if by == "tag" else None)
        old = out.get(key, (0, 0, 0))
        out[key] = (old[0] + int(n), old[1] + int(net or 0), old[2] + int(vat or 0))

    usable = tag is None and not (by == "tag" and (counterparty is not None or commitment is not None))
    if not usable:
        for k, n, net, vat in _sums(invoices(date_from, date_to, counterparty, commitment, tag), F(column)):
            add(k, n, net, vat)
        return out
    first, after, edges = _split(date_from, date_to)
    if first is not None or (date_from is None):
        for k, n, net, vat in _monthly_sums(by, column, first, after, counterparty, commitment):
            add(k, n, net, vat)
    for lo, hi in edges:
        for k, n, net, vat in _sums(invoices(lo, hi, counterparty, commitment), F(column)):
            add(k, n, net, vat)
    return out


def costs(
    date_from: date | None = None,
    date_to: date | None = None,
    by: str = "month",
    counterparty: int | None = None,
    commitment: int | None = None,
    tag: int | None = None,
    currency: str | None = None,
) -> CostReport:
    """Costs between two dates (inclusive, ``None`` = open) grouped ``by`` one of
    :data:`GROUPINGS`. Groups without invoices are omitted. ``ValueError`` on an unknown ``by``.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    if currency is None:
        from forecaster.currency.base import base_currency

        currency = base_currency()
    filters = {
        k: str(v)
        for k, v in (("counterparty", counterparty), ("commitment", commitment), ("tag", tag))
        if v is not None
    }
    overall = None
    if by in PERIODS:
        if counterparty is None and commitment is None and tag is None:
            qs = _days_between(date_from, date_to)
            found = _sums(
                qs, _period_expression(by, "day"), count="invoices", net="net_cents", vat="vat_cents"
            )
        else:
            found = _sums(invoices(date_from, date_to, counterparty, commitment, tag), _period_expression(by))
        rows = [
            CostRow(_period_key(k, by), _period_key(k, by), int(n), cents(net), cents(vat))
            for k, n, net, vat in found
        ]
    else:
        names = _names(by)
        none_label = {"counterparty": "", "commitment": _("no commitment"), "tag": _("no tag")}[by]
        sums = _dimension_sums(by, date_from, date_to, counterparty, commitment, tag)
        rows = [
            CostRow("" if k in (None, 0) else str(k), names.get(k, none_label), n, cents(net), cents(vat))
            for k, (n, net, vat) in sums.items()
        ]
        rows.sort(key=lambda r: (-r.net, r.label.casefold()))
        if by == "tag":
            overall = total(date_from, date_to, counterparty, commitment, tag)
    return CostReport(currency, by, date_from, date_to, filters, rows, overall)


def _names(by: str) -> dict[int, str]:
    from forecaster.costs.models import Commitment, Counterparty, Tag

    model = {"counterparty": Counterparty, "commitment": Commitment, "tag": Tag}[by]
    field_name = "company_name" if by == "counterparty" else "name"
    return dict(model.objects.values_list("id", field_name))


def total(
    date_from: date | None = None,
    date_to: date | None = None,
    counterparty: int | None = None,
    commitment: int | None = None,
    tag: int | None = None,
) -> CostRow:
    """All costs between two dates (inclusive) in one query (each invoice once, whatever its tags)."""
    if counterparty is None and commitment is None and tag is None:
        agg = _days_between(date_from, date_to).aggregate(
            n=Sum("invoices"), net=Sum("net_cents"), vat=Sum("vat_cents")
        )
    else:
        agg = invoices(date_from, date_to, counterparty, commitment, tag).aggregate(
            n=Count("id"), net=Sum("net_base_cents"), vat=Sum("vat_base_cents")
        )
    return CostRow("", "", int(agg["n"] or 0), cents(agg["net"]), cents(agg["vat"]))


# --- result = revenue − costs --------------------------------------------------------------------
@dataclass(frozen=True)
class ResultRow:
    """Revenue, costs and the result of one period (net and gross)."""

    period: str
    revenue_net: Decimal
    revenue_gross: Decimal
    costs_net: Decimal
    costs_gross: Decimal

    @property
    def result_net(self) -> Decimal:
        return self.revenue_net - self.costs_net

    @property
    def result_gross(self) -> Decimal:
        return self.revenue_gross - self.costs_gross


@dataclass
class ResultReport:
    currency: str
    by: str
    date_from: date | None
    date_to: date | None
    rows: list[ResultRow] = field(default_factory=list)

    @property
    def total(self) -> ResultRow:
        return ResultRow(
            "",
            sum((r.revenue_net for r in self.rows), ZERO),
            sum((r.revenue_gross for r in self.rows), ZERO),
            sum((r.costs_net for r in self.rows), ZERO),
            sum((r.costs_gross for r in self.rows), ZERO),
        )


def result(
    date_from: date | None = None,
    date_to: date | None = None,
    by: str = "month",
    basis: str = "invoice",
    currency: str | None = None,
) -> ResultReport:
    """Revenue (all systems, dated by ``basis``) minus costs (by document date), per period.
    **Every period with revenue or costs appears**, the other side counted as zero."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}")
    if currency is None:
        from forecaster.currency.base import base_currency

        currency = base_currency()
    rev = {r.period: r for r in revenue_queries.revenue(date_from, date_to, by, None, basis, currency).rows}
    cost = {r.key: r for r in costs(date_from, date_to, by, currency=currency).rows}
    rows = []
    for period in sorted(set(rev) | set(cost)):
        r, c = rev.get(period), cost.get(period)
        rows.append(
            ResultRow(
                period,
                r.net if r else ZERO,
                r.gross if r else ZERO,
                c.net if c else ZERO,
                c.gross if c else ZERO,
            )
        )
    return ResultReport(currency, by, date_from, date_to, rows)


def months_between(first: date, last: date) -> list[str]:
    """Every month key from ``first`` to ``last`` inclusive (``YYYY-MM``)."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_costs(
    date_from: date, date_to: date, counterparty: int | None = None, commitment: int | None = None
) -> list[CostRow]:
    """Costs per month from ``date_from`` to ``date_to``, every month present (zeros included)."""
    found = {r.key: r for r in costs(date_from, date_to, "month", counterparty, commitment, currency="").rows}
    return [found.get(k) or CostRow(k, k, 0, ZERO, ZERO) for k in months_between(date_from, date_to)]
