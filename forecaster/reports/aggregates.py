"""Keep ``DailyRevenue`` equal to the paid invoices held.

Call ``refresh(system_id, days, paid_days)`` inside the transaction that changed the invoices,
naming the invoice dates and the dates paid that the change touched (old and new values). With
``None`` the whole basis is rebuilt (after a full sync, or a rate change applied to history).

    >>> with transaction.atomic():
    ...     upsert_invoices(...)
    ...     refresh(system.id, days={date(2024, 1, 5)}, paid_days={date(2024, 2, 1)})
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    DecimalField,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Round, TruncDate
from django.utils import timezone

from forecaster.reports.models import DailyRevenue
from forecaster.sync.models import PAID, Invoice


def refresh(
    system_id: int, days: Iterable[date] | None = None, paid_days: Iterable[date] | None = None
) -> None:
    """Recompute the aggregates of ``system_id`` on the given days (``None``: every day)."""
    paid = Invoice.objects.filter(system_id=system_id, status=PAID)
    _rebuild(system_id, "invoice", paid.annotate(d=F("date")), days)
    _rebuild(
        system_id, "paid", paid.exclude(date_paid=None).annotate(d=_paid_day()), paid_days, moment="date_paid"
    )


def _paid_day() -> Func | TruncDate:
    """The local day of ``date_paid``, computed in the database."""
    if connection.vendor == "sqlite" and timezone.get_current_timezone_name() == "UTC":
        # SQLite keeps datetimes as naive UTC text, so with UTC days the day is SQLite's own
        # date(); TruncDate would call back into Python once per invoice (most of a rebuild).
        return Func(F("date_paid"), function="date", output_field=DateField())
    return TruncDate("date_paid")


def _rebuild(
    system_id: int, basis: str, rows: QuerySet, days: Iterable[date] | None, moment: str = ""
) -> None:
    existing = DailyRevenue.objects.filter(system_id=system_id, basis=basis)
    if days is not None:
        day_list = sorted(set(days))
        if not day_list:
            return
        existing = existing.filter(day__in=day_list)
        # For a datetime, the moments within those local days as plain comparisons on the
        # column: the database need not compute every invoice's day to find a few days'.
        rows = rows.filter(_within_days(moment, day_list) if moment else Q(d__in=day_list))
    existing.delete()
    # Sum whole cents: exact on every engine (SQLite would add the decimals as floats).
    grouped = rows.values("d").annotate(
        n=Count("id"), net=Sum(_cents("net_base")), tax=Sum(_cents("tax_base"))
    )
    DailyRevenue.objects.bulk_create(
        [
            DailyRevenue(
                system_id=system_id,
                basis=basis,
                day=g["d"],
                invoices=g["n"],
                net=Decimal(g["net"]).scaleb(-2),
                tax=Decimal(g["tax"]).scaleb(-2),
                net_cents=g["net"],
                tax_cents=g["tax"],
            )
            for g in grouped.order_by()
        ],
        batch_size=2000,
    )


def _within_days(field: str, days: list[date]) -> Q:
    """``field`` (a datetime) falls on one of ``days`` (sorted) in the current time zone."""
    tz = timezone.get_current_timezone()
    condition = Q()
    first = last = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == last + timedelta(days=1):
            last = day  # consecutive days make one range
            continue
        start = datetime.combine(first, time.min).replace(tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), time.min).replace(tzinfo=tz)
        condition |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
        if day is not None:
            first = last = day
    return condition


def _cents(field: str) -> Cast:
    """``field`` (a 2-place amount) as whole cents, computed per row in SQL."""
    hundred = Value(100, output_field=DecimalField(max_digits=3, decimal_places=0))
    return Cast(Round(F(field) * hundred), output_field=BigIntegerField())
