"""``{% costs_dashboard %}``: the dashboard's costs and result section, kept apart from the
revenue dashboard so each side stays in its own app."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.template import Context
from django.utils import timezone

from forecaster.costs import queries
from forecaster.costs.models import Commitment, CostInvoice, Counterparty
from forecaster.costs.views.common import months_back
from forecaster.costs.views.reports import result_chart
from forecaster.reports import queries as revenue_queries

register = template.Library()


def _last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _change(now: datetime, before: datetime | None) -> str | None:
    if not before:
        return None
    return f"{(now - before) / abs(before) * 100:+.1f}%"


def _block(label: str, sub: str, first: date, last: date, first_ly: date, last_ly: date) -> dict:
    cost = queries.total(first, last)
    cost_ly = queries.total(first_ly, last_ly)
    rev = revenue_queries.total(first, last).net
    rev_ly = revenue_queries.total(first_ly, last_ly).net
    return {
        "label": label,
        "sub": sub,
        "costs": cost,
        "costs_change": _change(cost.net, cost_ly.net),
        "result": rev - cost.net,
        "result_change": _change(rev - cost.net, rev_ly - cost_ly.net),
        "average": (cost.net / cost.invoices).quantize(cost.net) if cost.invoices else None,
    }


@register.inclusion_tag("costs/_dashboard.html", takes_context=True)
def costs_dashboard(context: Context) -> dict:
    from django.utils.translation import gettext as _

    today = timezone.localdate()
    ly = _last_year(today)
    blocks = [
        _block(_("Costs this month"), f"{today:%Y-%m}", today.replace(day=1), today, ly.replace(day=1), ly),
        _block(
            _("Costs this year"),
            f"{today:%Y}",
            today.replace(month=1, day=1),
            today,
            ly.replace(month=1, day=1),
            ly,
        ),
    ]
    start = months_back(today, 23)
    report = queries.result(start, None, "month")
    # Every month appears: those with revenue or costs from the query, the rest as zeros.
    found = {r.period: r for r in report.rows}
    zero = queries.ZERO
    keys = sorted(set(queries.months_between(start, today)) | set(found))
    rows = [found.get(k) or queries.ResultRow(k, zero, zero, zero, zero) for k in keys]
    active = 0
    from forecaster.costs import periods

    found = periods.spans()  # every commitment's invoice dates in one query, not one per row
    for c in Commitment.objects.select_related("agreement"):
        p = periods.period(c, today, found.get(c.pk, (None, None)))
        if p.start is not None and p.start <= today and (p.end is None or p.end >= today):
            active += 1
    return {
        "blocks": blocks,
        "currency": report.currency,
        "chart": result_chart(rows, report.currency),
        "has_data": bool(report.rows),
        "counts": {
            "commitments": Commitment.objects.count(),
            "active": active,
            "counterparties": Counterparty.objects.count(),
            "invoices": CostInvoice.objects.count(),
        },
        "chart_from": start,
        "is_admin": context.get("is_admin"),
    }
