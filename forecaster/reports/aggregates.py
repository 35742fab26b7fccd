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
from forecaster.sync.models import NOT_REVENUE, PAID, Invoice, InvoiceDetail, Refund, ReturnedInvoice


def on_invoices_changed(
    sender: object,
    system_id: int,
    days: Iterable[date] | None = None,
    paid_days: Iterable[date] | None = None,
    **kwargs: object,
) -> None:
    """Receiver of ``forecaster.sync.signals.invoices_changed`` (connected by the app config)."""
    refresh(system_id, days, paid_days)


def refresh(
    system_id: int, days: Iterable[date] | None = None, paid_days: Iterable[date] | None = None
) -> None:
    """Recompute the aggregates of ``system_id`` on the given days (``None``: every day).

    Revenue is the README's "Money" definition: paid invoices that are sales (deposits and
    mass payments left out), plus invoices refunded or charged back (they keep their period),
    minus each refund in its own period (or in the invoice's, when the system restates).
    """
    paid = Invoice.objects.filter(system_id=system_id, status=PAID)
    not_revenue = InvoiceDetail.objects.filter(system_id=system_id, kind__in=NOT_REVENUE)
    if not_revenue.exists():
        paid = paid.exclude(whmcs_id__in=not_revenue.values("whmcs_id"))
    extra = _ledger_entries(system_id)
    _rebuild(system_id, "invoice", paid.annotate(d=F("date")), days, extra=extra["invoice"])
    _rebuild(
        system_id,
        "paid",
        paid.exclude(date_paid=None).annotate(d=_paid_day()),
        paid_days,
        moment="date_paid",
        extra=extra["paid"],
    )


def _ledger_entries(system_id: int) -> dict[str, list[tuple[date, int, int, int]]]:
    """Per basis, ``(day, invoices, net_cents, tax_cents)`` of the invoices refunded or charged
    back (they keep counting) and of the refunds (negative). Few rows: read in Python."""
    from forecaster.systems.models import AccountingSystem

    out: dict[str, list[tuple[date, int, int, int]]] = {"invoice": [], "paid": []}
    not_revenue = set(
        InvoiceDetail.objects.filter(system_id=system_id, kind__in=NOT_REVENUE).values_list(
            "whmcs_id", flat=True
        )
    )
    returned = ReturnedInvoice.objects.filter(system_id=system_id, booked=True)
    for wid, day, paid_at, net, tax in returned.values_list(
        "whmcs_id", "date", "date_paid", "net_base", "tax_base"
    ):
        if wid in not_revenue:
            continue
        entry = (1, _as_cents(net), _as_cents(tax))
        out["invoice"].append((day, *entry))
        if paid_at is not None:
            out["paid"].append((_local_day(paid_at), *entry))
    restate = (
        AccountingSystem.objects.filter(pk=system_id).values_list("refunds_restate", flat=True).first()
        or False
    )
    refunds = Refund.objects.filter(system_id=system_id).values_list(
        "whmcs_id", "day", "invoice_date", "invoice_paid", "net_base", "tax_base"
    )
    for wid, day, invoice_day, invoice_paid, net, tax in refunds:
        if wid in not_revenue:
            continue
        entry = (0, -_as_cents(net), -_as_cents(tax))
        if not restate:
            out["invoice"].append((day, *entry))
            out["paid"].append((day, *entry))
            continue
        out["invoice"].append((invoice_day, *entry))
        if invoice_paid is not None:
            out["paid"].append((_local_day(invoice_paid), *entry))
    return out


def _as_cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _paid_day() -> Func | TruncDate:
    """The local day of ``date_paid``, computed in the database."""
    if connection.vendor == "sqlite" and timezone.get_current_timezone_name() == "UTC":
        # SQLite keeps datetimes as naive UTC text, so with UTC days the day is SQLite's own
        # date(); TruncDate would call back into Python once per invoice (most of a rebuild).
        return Func(F("date_paid"), function="date", output_field=DateField())
    return TruncDate("date_paid")


def _rebuild(
    system_id: int,
    basis: str,
    rows: QuerySet,
    days: Iterable[date] | None,
    moment: str = "",
    extra: list[tuple[date, int, int, int]] = (),
) -> None:
    existing = DailyRevenue.objects.filter(system_id=system_id, basis=basis)
    wanted: set[date] | None = None
    if days is not None:
        day_list = sorted(set(days))
        if not day_list:
            return
        wanted = set(day_list)
        existing = existing.filter(day__in=day_list)
        # For a datetime, the moments within those local days as plain comparisons on the
        # column: the database need not compute every invoice's day to find a few days'.
        rows = rows.filter(_within_days(moment, day_list) if moment else Q(d__in=day_list))
    existing.delete()
    # Sum whole cents: exact on every engine (SQLite would add the decimals as floats).
    grouped = rows.values("d").annotate(
        n=Count("id"), net=Sum(_cents("net_base")), tax=Sum(_cents("tax_base"))
    )
    sums: dict[date, list[int]] = {}
    for g in grouped.order_by():
        day = g["d"] if isinstance(g["d"], date) else date.fromisoformat(str(g["d"])[:10])
        sums[day] = [g["n"], g["net"], g["tax"]]
    for day, n, net, tax in extra:
        if wanted is None or day in wanted:
            total = sums.setdefault(day, [0, 0, 0])
            total[0] += n
            total[1] += net
            total[2] += tax
    DailyRevenue.objects.bulk_create(
        [
            DailyRevenue(
                system_id=system_id,
                basis=basis,
                day=day,
                invoices=n,
                net=Decimal(net).scaleb(-2),
                tax=Decimal(tax).scaleb(-2),
                net_cents=net,
                tax_cents=tax,
            )
            for day, (n, net, tax) in sums.items()
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
