"""Maintained cost aggregates, so cost and result reports never scan every cost invoice.

    >>> refresh_days([date(2024, 1, 31)])      # after a cost invoice of that day changed
    >>> rebuild()                               # after bulk writes that bypass ``save``

``CostDay``: one row per document date (all invoices) — the period reports without filters.
``CostMonth``: one row per month, counterparty and commitment — the counterparty and commitment
reports. ``CostMonthTag``: one row per month and tag (tag 0 = untagged) — the tag report.
``CostCommitment``: one row per commitment with invoices (count, cents, first and last document
date) — the commitments' periods from their invoices, "To end", the dashboard and the outlook.
Every row holds the invoice count and whole cents of the base-currency net and VAT, recomputed
from the invoices of its day or month whenever one of them is saved, deleted or re-tagged (in the
same transaction), so a report never disagrees with the invoices held.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count, Max, Min, Sum

from forecaster.costs import terms as T


def _month(day: date) -> date:
    return day.replace(day=1)


def refresh_days(days: Iterable[date | None]) -> None:
    """Recompute the aggregates of these document dates (and of their months)."""
    from forecaster.costs.models import CostDay, CostInvoice, CostMonth, CostMonthTag

    days = {d for d in days if d is not None}
    if not days:
        return
    with transaction.atomic():
        # The commitments whose totals may change: those with invoices on these days now, and
        # those whose monthly rows differ after the refresh (an invoice moved away or deleted).
        touched = set(
            CostInvoice.objects.filter(document_date__in=days, commitment__isnull=False).values_list(
                "commitment_id", flat=True
            )
        )
        before = _month_rows({_month(d) for d in days})
        for day in days:
            CostDay.objects.filter(day=day).delete()
            agg = CostInvoice.objects.filter(document_date=day).aggregate(
                n=Count("id"), net=Sum("net_base_cents"), vat=Sum("vat_base_cents")
            )
            if agg["n"]:
                CostDay.objects.create(day=day, invoices=agg["n"], net_cents=agg["net"], vat_cents=agg["vat"])
        for month in {_month(d) for d in days}:
            end = T.add_months(month, 1)
            invoices = CostInvoice.objects.filter(document_date__gte=month, document_date__lt=end).order_by()
            CostMonth.objects.filter(month=month).delete()
            CostMonth.objects.bulk_create(
                CostMonth(
                    month=month,
                    counterparty_id=r["counterparty_id"],
                    commitment_id=r["commitment_id"],
                    invoices=r["n"],
                    net_cents=r["net"],
                    vat_cents=r["vat"],
                )
                for r in invoices.values("counterparty_id", "commitment_id").annotate(
                    n=Count("id"), net=Sum("net_base_cents"), vat=Sum("vat_base_cents")
                )
            )
            CostMonthTag.objects.filter(month=month).delete()
            rows = [
                CostMonthTag(
                    month=month,
                    tag_id=r["tags__id"] or 0,
                    invoices=r["n"],
                    net_cents=r["net"],
                    vat_cents=r["vat"],
                )
                for r in invoices.values("tags__id").annotate(
                    n=Count("id"), net=Sum("net_base_cents"), vat=Sum("vat_base_cents")
                )
            ]
            CostMonthTag.objects.bulk_create(rows)
        changed = before ^ _month_rows({_month(d) for d in days})
        touched |= {row[1] for row in changed if row[1] is not None}
        refresh_commitments(touched)


def _month_rows(months: set[date]) -> set[tuple]:
    from forecaster.costs.models import CostMonth

    return set(
        CostMonth.objects.filter(month__in=months).values_list(
            "month", "commitment_id", "counterparty_id", "invoices", "net_cents", "vat_cents"
        )
    )


def refresh_commitments(ids: Iterable[int] | None) -> None:
    """Recompute ``CostCommitment`` of these commitments (``None``: all)."""
    from forecaster.costs.models import CostCommitment, CostInvoice

    rows = CostCommitment.objects.all()
    invoices = CostInvoice.objects.filter(commitment__isnull=False).order_by()
    if ids is not None:
        ids = set(ids)
        if not ids:
            return
        rows = rows.filter(commitment_id__in=ids)
        invoices = invoices.filter(commitment_id__in=ids)
    rows.delete()
    CostCommitment.objects.bulk_create(
        CostCommitment(
            commitment_id=r["commitment_id"],
            invoices=r["n"],
            net_cents=r["net"],
            vat_cents=r["vat"],
            first_day=r["a"],
            last_day=r["b"],
        )
        for r in invoices.values("commitment_id").annotate(
            n=Count("id"),
            net=Sum("net_base_cents"),
            vat=Sum("vat_base_cents"),
            a=Min("document_date"),
            b=Max("document_date"),
        )
    )


def rebuild() -> None:
    """Recompute every aggregate from the invoices (after ``bulk_create`` or a restore)."""
    from forecaster.costs.models import CostCommitment, CostDay, CostInvoice, CostMonth, CostMonthTag

    with transaction.atomic():
        CostCommitment.objects.all().delete()
        CostDay.objects.all().delete()
        CostMonth.objects.all().delete()
        CostMonthTag.objects.all().delete()
        days = CostInvoice.objects.order_by().values_list("document_date", flat=True).distinct()
        refresh_days(list(days))
