"""Revenue queries: plain functions over the database, no request objects.

    >>> report = revenue(date(2024, 1, 1), date(2024, 12, 31), by="month")
    >>> report.rows[0]
    Row(period='2024-01', invoices=12, net=Decimal('1234.56'), tax=Decimal('283.95'), ...)

Reports read ``DailyRevenue`` (one row per system, basis and day), never the invoices, so a
monthly report over a million invoices groups a few thousand rows. Periods are grouped in SQL
(a prefix of the ISO date on SQLite, ``Trunc`` elsewhere) and amounts are summed as whole
cents, which is exact on SQLite and PostgreSQL alike; totals are the sums of the rows, so every
report adds up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, connections
from django.db.models import CharField, F, Func, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth, TruncYear

from forecaster.reports.models import DailyRevenue

GROUPINGS = ("year", "month", "day")
BASES = ("invoice", "paid")
ZERO = Decimal("0.00")


def cents(value: int | None) -> Decimal:
    """Whole cents as a 2-place ``Decimal``: ``cents(123) == Decimal('1.23')``."""
    return Decimal(int(value or 0)).scaleb(-2)


@dataclass(frozen=True)
class Row:
    """One period of a report (or its total, with ``period=""``)."""

    period: str
    invoices: int
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass
class Report:
    """A revenue report: ascending rows and their total, amounts in ``currency``."""

    currency: str
    by: str
    basis: str
    date_from: date | None
    date_to: date | None
    system_id: int | None
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Row:
        return Row(
            period="",
            invoices=sum(r.invoices for r in self.rows),
            net=sum((r.net for r in self.rows), ZERO),
            tax=sum((r.tax for r in self.rows), ZERO),
        )


_PERIOD_LENGTH = {"year": 4, "month": 7, "day": 10}


def _period_expression(by: str) -> Func | F:
    """The SQL expression that names a row's period.

    SQLite keeps a date as ISO text, so a prefix of it *is* the period — much faster than
    Django's ``Trunc`` there, which calls back into Python for every row. Other engines
    truncate natively.
    """
    if connection.vendor == "sqlite":
        return Substr("day", 1, _PERIOD_LENGTH[by], output_field=CharField())
    natively: dict[str, Func | F] = {"year": TruncYear("day"), "month": TruncMonth("day"), "day": F("day")}
    return natively[by]


def _period(value: date | str, by: str) -> str:
    if isinstance(value, str):
        return value
    if by == "year":
        return f"{value.year:04d}"
    if by == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def revenue(
    date_from: date | None = None,
    date_to: date | None = None,
    by: str = "month",
    system: int | None = None,
    basis: str = "invoice",
    currency: str | None = None,
) -> Report:
    """Paid revenue between two dates (both inclusive, ``None`` = open), grouped ``by``
    ``year``/``month``/``day``, for one system id or all (``None``), dated by the invoice
    date (``basis="invoice"``) or the date paid (``"paid"``). Periods without invoices are
    omitted. Raises ``ValueError`` on an unknown ``by`` or ``basis``.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}")
    if currency is None:
        from forecaster.currency.base import base_currency

        currency = base_currency()
    qs = _days(basis, system, date_from, date_to)
    grouped = (
        qs.annotate(p=_period_expression(by))
        .values_list("p")
        .annotate(n=Sum("invoices"), net=Sum("net_cents"), tax=Sum("tax_cents"))
        .order_by("p")
    )
    rows = [Row(_period(p, by), int(n), cents(net), cents(tax)) for p, n, net, tax in _raw(grouped)]
    return Report(
        currency=currency,
        by=by,
        basis=basis,
        date_from=date_from,
        date_to=date_to,
        system_id=system,
        rows=rows,
    )


def _days(basis: str, system: int | None, date_from: date | None, date_to: date | None) -> QuerySet:
    """The daily aggregates a report reads: one basis, optionally one system, days inclusive."""
    qs = DailyRevenue.objects.filter(basis=basis)
    if system is not None:
        qs = qs.filter(system_id=system)
    if date_from is not None:
        qs = qs.filter(day__gte=date_from)
    if date_to is not None:
        qs = qs.filter(day__lte=date_to)
    return qs


def _raw(qs: QuerySet) -> list[tuple]:
    """Run a queryset's SQL and return the driver's tuples, skipping Django's per-value
    converters (a by-day report over ten years has thousands of rows; the values are only
    period keys and integers, which need no conversion)."""
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def total(
    date_from: date | None = None,
    date_to: date | None = None,
    system: int | None = None,
    basis: str = "invoice",
) -> Row:
    """The total revenue between two dates (inclusive) in one query: a ``Row`` with ``period=""``."""
    qs = _days(basis, system, date_from, date_to)
    agg = qs.aggregate(n=Sum("invoices"), net=Sum("net_cents"), tax=Sum("tax_cents"))
    return Row("", int(agg["n"] or 0), cents(agg["net"]), cents(agg["tax"]))


def totals_by_system() -> dict[int, dict[str, Decimal | int]]:
    """``{system_id: {"invoices", "net", "tax", "gross"}}`` of the paid invoices held."""
    rows = (
        DailyRevenue.objects.filter(basis="invoice")
        .values("system_id")
        .annotate(invoices=Sum("invoices"), net=Sum("net_cents"), tax=Sum("tax_cents"))
        .order_by()
    )
    return {
        r["system_id"]: {
            "invoices": int(r["invoices"]),
            "net": cents(r["net"]),
            "tax": cents(r["tax"]),
            "gross": cents(r["net"]) + cents(r["tax"]),
        }
        for r in rows
    }
