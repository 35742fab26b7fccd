"""Forecast versus actual: the forecast made at the start of each month, kept, and set against
the month's actuals once it has closed.

    >>> take(today=date(2026, 12, 1))      # keeps December's forecast (once per month)
    >>> rows = versus(today=date(2027, 1, 3))
    >>> rows[0].line, rows[0].forecast, rows[0].actual, rows[0].variance

Lines: revenue per system, revenue in total, costs in total (net, base currency). The snapshot is
the plain forecast (no scenario) of the current month, taken by the daily scheduler on the first
day it runs in that month; a month that started while the service was down gets its snapshot on
the first run after, and ``made_on`` says when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from forecaster.forecasts.costs import actual_costs
from forecaster.forecasts.history import add_months, month_key, month_start
from forecaster.forecasts.models import Snapshot
from forecaster.forecasts.outlook import outlook
from forecaster.reports.queries import revenue

ZERO = Decimal("0.00")


def take(today: date) -> int:
    """Keep this month's forecast unless already kept; returns the number of lines stored."""
    month = month_start(today)
    if Snapshot.objects.filter(month=month).exists():
        return 0
    o = outlook(today, horizon=1, back=0)
    m = o.months[0]
    rows = []
    for line, cell in zip(o.revenue_forecast.systems, m.systems, strict=True):
        rows.append(
            Snapshot(
                month=month, line=f"revenue:{line.system_id}", label=line.name, made_on=today,
                method=line.method, point=cell.amount, lower=cell.lower, upper=cell.upper,
            )
        )  # fmt: skip
    rows.append(
        Snapshot(
            month=month, line="revenue:total", label=str(_("Revenue, all systems")), made_on=today,
            method="sum", point=m.revenue.amount, lower=m.revenue.lower, upper=m.revenue.upper,
        )
    )  # fmt: skip
    rows.append(
        Snapshot(
            month=month, line="costs:total", label=str(_("Costs")), made_on=today,
            method="estimate" if m.costs.estimate else "schedule", point=m.costs.amount,
        )
    )  # fmt: skip
    Snapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclass(frozen=True)
class Versus:
    month: date
    line: str
    label: str
    made_on: date
    forecast: Decimal
    lower: Decimal | None
    upper: Decimal | None
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual - self.forecast

    @property
    def variance_pct(self) -> Decimal | None:
        if not self.forecast:
            return None
        return (self.variance * 100 / self.forecast).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def inside(self) -> bool | None:
        if self.lower is None or self.upper is None:
            return None
        return self.lower <= self.actual <= self.upper


def versus(today: date, months: int = 12) -> list[Versus]:
    """Each closed month's kept forecast next to its actual, newest month first."""
    current = month_start(today)
    first = add_months(current, -months)
    snaps = list(Snapshot.objects.filter(month__gte=first, month__lt=current).order_by("-month", "line"))
    if not snaps:
        return []
    last_day = date.fromordinal(current.toordinal() - 1)
    costs = actual_costs(first, last_day)
    revenue_by: dict[str, dict[str, Decimal]] = {}
    for s in snaps:
        key = s.line.split(":", 1)[1]
        if s.line.startswith("revenue:") and key not in revenue_by:
            system = None if key == "total" else int(key)
            rows = revenue(first, last_day, by="month", system=system, currency="").rows
            revenue_by[key] = {r.period: r.net for r in rows}
    out = []
    for s in snaps:
        mk = month_key(s.month)
        if s.line == "costs:total":
            actual = costs.get(mk, ZERO)
        else:
            actual = revenue_by[s.line.split(":", 1)[1]].get(mk, ZERO)
        out.append(Versus(s.month, s.line, s.label, s.made_on, s.point, s.lower, s.upper, actual))
    return out
