"""Revenue queries: plain functions over the database, no request objects."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from forecaster.reports.models import DailyRevenue


def totals_by_system() -> dict[int, dict[str, Decimal | int]]:
    """``{system_id: {"invoices", "net", "tax", "gross"}}`` of the paid invoices held."""
    rows = (
        DailyRevenue.objects.filter(basis="invoice")
        .values("system_id")
        .annotate(invoices=Sum("invoices"), net=Sum("net"), tax=Sum("tax"))
        .order_by()
    )
    return {
        r["system_id"]: {"invoices": r["invoices"], "net": r["net"], "tax": r["tax"],
                         "gross": r["net"] + r["tax"]}
        for r in rows
    }
