"""The outlook: revenue against costs per month, actual months then forecast months.

    >>> o = outlook(today=date(2026, 12, 2), horizon=12)
    >>> [(m.key, m.actual, str(m.revenue.amount), str(m.costs.amount), str(m.result)) for m in o.months]
    >>> o.months[-1].cumulative                     # result summed over the forecast months

Every amount is **net**, in the base currency, ``Decimal`` to the cent. Revenue per system and
in total; costs are the company's (they belong to no system). Result = revenue − costs; the
cumulative result adds up the forecast months from the current one on (actual months show their
own result). Each ``Cell`` carries its method and inputs (``parts``: codes, ``Decimal`` amounts,
names; see ``forecasts.explain``) so a page can say where a number comes from in the reader's
words and number format, and the API can give the same parts in machine formats.

A ``Scenario`` changes the inputs (``Adjustments``): revenue growth or churn per year (ramped
linearly month by month, the current month unchanged), an FX shift per currency (on revenue by
each system's share of that currency over the last 12 months, on costs by the schedule's or the
invoice's currency), cost inflation per year, commitments cancelled at their next cancel-by date
and commitments added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Sum

from forecaster.forecasts.costs import Adjustments, CostForecast, actual_costs, cost_forecast
from forecaster.forecasts.explain import KNOWN_INVOICE, Part, explain_text
from forecaster.forecasts.history import (
    MAX_HORIZON,
    RevenueForecast,
    SystemRevenue,
    add_months,
    month_key,
    month_start,
    revenue_forecast,
)
from forecaster.reports.queries import revenue

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
DEFAULT_BACK = 12


@dataclass
class Cell:
    amount: Decimal
    actual: bool
    parts: list[Part] = field(default_factory=list)
    lower: Decimal | None = None
    upper: Decimal | None = None
    estimate: bool = False
    # Forecast revenue: the part of ``amount`` (and of both bounds) that is WHMCS's pipeline of
    # unpaid invoices due in the month, next to the model's share.
    pipeline: Decimal | None = None

    @property
    def model(self) -> Decimal | None:
        """The model's point without the pipeline (forecast revenue only)."""
        return None if self.pipeline is None else self.amount - self.pipeline

    @property
    def explain(self) -> str:
        """Where the amount comes from, in the active language and its number format."""
        return explain_text(self.parts)


@dataclass
class Month:
    month: date
    actual: bool
    systems: list[Cell]
    revenue: Cell
    costs: Cell
    result: Decimal
    cumulative: Decimal | None = None

    @property
    def key(self) -> str:
        return month_key(self.month)


@dataclass
class RevenueAdjustments:
    growth_pct: Decimal = ZERO  # per year, ramped linearly
    fx_shift_pct: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Outlook:
    today: date
    horizon: int
    currency: str
    systems: list[tuple[int, str]]
    months: list[Month]
    revenue_forecast: RevenueForecast
    cost_forecast: CostForecast
    problems: list[str] = field(default_factory=list)
    scenario_name: str = ""

    @property
    def forecast_months(self) -> list[Month]:
        return [m for m in self.months if not m.actual]

    @property
    def total_result(self) -> Decimal:
        return sum((m.result for m in self.forecast_months), ZERO)


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def currency_shares(today: date) -> dict[int, dict[str, Decimal]]:
    """``{system id: {currency: share of net}}`` over the last 12 closed months, for FX shifts.
    Deposits and mass payments are not revenue (README "Money"), so they give no share."""
    from forecaster.sync.models import NOT_REVENUE, PAID, Invoice, InvoiceDetail

    start = add_months(month_start(today), -12)
    not_revenue = InvoiceDetail.objects.filter(
        system_id=OuterRef("system_id"), whmcs_id=OuterRef("whmcs_id"), kind__in=NOT_REVENUE
    )
    rows = (
        Invoice.objects.filter(status=PAID, date__gte=start, date__lt=month_start(today))
        .exclude(Exists(not_revenue))
        .values_list("system_id", "currency")
        .annotate(net=Sum("net_base"))
        .order_by()
    )
    totals: dict[int, Decimal] = {}
    by: dict[int, dict[str, Decimal]] = {}
    for system_id, cur, net in rows:
        net = Decimal(net or 0)
        totals[system_id] = totals.get(system_id, ZERO) + net
        by.setdefault(system_id, {})[(cur or "").upper()] = net
    return {
        sid: {cur: (net / totals[sid] if totals[sid] else ZERO) for cur, net in curs.items()}
        for sid, curs in by.items()
    }


def _revenue_factor(
    adj: RevenueAdjustments, index: int, shares: dict[str, Decimal] | None
) -> tuple[Decimal, list[Part]]:
    factor = Decimal(1)
    notes = []
    if adj.growth_pct:
        factor *= Decimal(1) + adj.growth_pct / 100 * Decimal(index) / 12
        notes.append(Part("scenario_growth", {"pct": adj.growth_pct, "factor": round(factor, 4)}))
    for cur, shift in adj.fx_shift_pct.items():
        share = (shares or {}).get(cur)
        if share and shift:
            factor *= Decimal(1) + share * shift / 100
            notes.append(
                Part("scenario_fx", {"currency": cur, "shift": shift, "share": round(share * 100, 1)})
            )
    return factor, notes


def _forecast_cell(
    s: SystemRevenue, i: int, adj: RevenueAdjustments, shares: dict[str, Decimal] | None
) -> Cell:
    """One system's forecast revenue in forecast month ``i``: the model's point (scenario applied)
    plus the pipeline of unpaid invoices due in the month; the interval is the model's, moved by
    the pipeline (issued invoices are known amounts, so they widen nothing)."""
    pipeline = s.pipeline[i] if s.pipeline else ZERO
    count = s.pipeline_counts[i] if s.pipeline_counts else 0
    due = Part("pipeline", {"amount": pipeline, "count": count})
    if not s.points:
        reason = Part("no_history", {"months": len(s.history)}) if s.history else Part("no_revenue")
        return Cell(pipeline, False, [reason, due], pipeline=pipeline)
    p = s.points[i]
    factor, scenario = _revenue_factor(adj, i, shares)
    point, lower, upper = _q(p.point * factor), _q(p.lower * factor), _q(p.upper * factor)
    model = Part(
        "model",
        {"point": point, "method": s.method, "months": len(s.history), "lower": lower, "upper": upper},
    )
    parts = [model, *scenario, due]
    return Cell(point + pipeline, False, parts, lower + pipeline, upper + pipeline, pipeline=pipeline)


def outlook(
    today: date,
    horizon: int = 12,
    back: int = DEFAULT_BACK,
    costs_adj: Adjustments | None = None,
    revenue_adj: RevenueAdjustments | None = None,
    scenario_name: str = "",
) -> Outlook:
    """The outlook of ``horizon`` months from ``today``'s month, after ``back`` actual months."""
    from forecaster.currency.base import base_currency

    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be between 1 and {MAX_HORIZON} months")
    revenue_adj = revenue_adj or RevenueAdjustments()
    rf = revenue_forecast(today, horizon)
    start = month_start(today)
    months_ahead = [add_months(start, i) for i in range(horizon)]
    cf = cost_forecast(today, months_ahead, costs_adj)
    past = [add_months(start, -back + i) for i in range(back)]
    problems = list(cf.problems)

    # Actual months: revenue per system and costs, one grouped query each.
    first_past = past[0] if past else start
    last_past_day = date.fromordinal(start.toordinal() - 1)
    actual_rev: dict[int, dict[str, Decimal]] = {}
    for line in rf.systems:
        rows = revenue(first_past, last_past_day, by="month", system=line.system_id, currency="").rows
        actual_rev[line.system_id] = {r.period: r.net for r in rows}
    actual_cost = actual_costs(first_past, last_past_day) if past else {}

    months: list[Month] = []
    for m in past:
        key = month_key(m)
        cells = [
            Cell(
                actual_rev[s.system_id].get(key, ZERO),
                True,
                [Part("actual_system", {"name": s.name})],
            )
            for s in rf.systems
        ]
        rev = sum((c.amount for c in cells), ZERO)
        cost = actual_cost.get(key, ZERO)
        months.append(
            Month(
                month=m,
                actual=True,
                systems=cells,
                revenue=Cell(rev, True, [Part("actual_revenue")]),
                costs=Cell(cost, True, [Part("actual_costs")]),
                result=rev - cost,
            )
        )

    shares = currency_shares(today) if revenue_adj.fx_shift_pct else {}
    cumulative = ZERO
    for i, m in enumerate(months_ahead):
        cells = [_forecast_cell(s, i, revenue_adj, shares.get(s.system_id)) for s in rf.systems]
        rev = sum((c.amount for c in cells), ZERO)
        lower = sum((c.amount if c.lower is None else c.lower for c in cells), ZERO)
        upper = sum((c.amount if c.upper is None else c.upper for c in cells), ZERO)
        pipeline = sum((c.pipeline or ZERO for c in cells), ZERO)
        cost_parts = [(line, line.amounts[i]) for line in cf.lines if line.amounts[i]]
        cost = sum((a for _l, a in cost_parts), ZERO)
        cost_explain = [
            Part(
                "cost_line",
                {"name": line.name, "amount": a, "method": KNOWN_INVOICE if i in line.known else line.method},
            )
            for line, a in cost_parts
        ] or [Part("no_costs")]
        estimate = any(line.estimate and i not in line.known for line, _a in cost_parts)
        result = rev - cost
        cumulative += result
        months.append(
            Month(
                month=m,
                actual=False,
                systems=cells,
                revenue=Cell(
                    rev,
                    False,
                    [Part("revenue_sum", {"pipeline": pipeline, "lower": lower, "upper": upper})],
                    lower,
                    upper,
                    pipeline=pipeline,
                ),
                costs=Cell(cost, False, cost_explain, estimate=estimate),
                result=result,
                cumulative=cumulative,
            )
        )
    return Outlook(
        today=today,
        horizon=horizon,
        currency=base_currency(),
        systems=[(s.system_id, s.name) for s in rf.systems],
        months=months,
        revenue_forecast=rf,
        cost_forecast=cf,
        problems=problems,
        scenario_name=scenario_name,
    )
