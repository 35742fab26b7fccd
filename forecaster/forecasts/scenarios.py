"""Scenarios: a saved set of what-ifs turned into the outlook's adjustments, and comparisons.

>>> base, with_churn = compare(today, 12, [None, Scenario.objects.get(name="Churn")])
>>> [str(m.result) for m in with_churn.forecast_months]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from forecaster.forecasts.costs import Adjustments
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.outlook import Outlook, RevenueAdjustments, outlook


def adjustments(scenario: Scenario | None) -> tuple[Adjustments, RevenueAdjustments]:
    """The cost and revenue adjustments of ``scenario`` (none for ``None``)."""
    if scenario is None:
        return Adjustments(), RevenueAdjustments()
    fx = {cur.upper(): Decimal(str(pct)) for cur, pct in (scenario.fx_shifts or {}).items()}
    costs = Adjustments(
        inflation_pct=Decimal(scenario.cost_inflation_pct),
        fx_shift_pct=fx,
        cancel={c.pk for c in scenario.cancel.all()},
        added=[
            {
                "name": a.name,
                "amount": str(a.amount),
                "currency": a.currency,
                "from": a.starts_on.isoformat(),
                "until": a.ends_on.isoformat() if a.ends_on else None,
            }
            for a in scenario.additions.all()
        ],
    )
    return costs, RevenueAdjustments(growth_pct=Decimal(scenario.revenue_growth_pct), fx_shift_pct=fx)


def scenario_outlook(today: date, horizon: int, scenario: Scenario | None, back: int = 12) -> Outlook:
    """The outlook under ``scenario`` (the plain forecast for ``None``)."""
    costs, revenue = adjustments(scenario)
    return outlook(
        today,
        horizon,
        back=back,
        costs_adj=costs,
        revenue_adj=revenue,
        scenario_name=scenario.name if scenario else "",
    )


def compare(today: date, horizon: int, scenarios: list[Scenario | None]) -> list[Outlook]:
    """One outlook per scenario, forecast months only, for a side-by-side table."""
    return [scenario_outlook(today, horizon, s, back=0) for s in scenarios]


def parse_fx(text: str) -> dict[str, str]:
    """``"EUR +5, GBP -3.5"`` → ``{"EUR": "5", "GBP": "-3.5"}``; raises ``ValueError`` with a reason."""
    out: dict[str, str] = {}
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        bits = part.replace("%", "").split()
        if len(bits) != 2 or len(bits[0]) != 3 or not bits[0].isalpha():
            raise ValueError(f"“{part}”")
        try:
            pct = Decimal(bits[1])
        except ArithmeticError:
            raise ValueError(f"“{part}”") from None
        if not pct.is_finite() or pct <= -100 or abs(pct) > 1000:
            raise ValueError(f"“{part}”")
        out[bits[0].upper()] = f"{pct.normalize():f}" if pct else "0"
    return out


def format_fx(shifts: dict) -> str:
    return ", ".join(
        f"{cur} {'+' if Decimal(str(p)) > 0 else ''}{p}" for cur, p in sorted((shifts or {}).items())
    )
