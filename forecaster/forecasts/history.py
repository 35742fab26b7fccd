"""Monthly revenue history from the maintained aggregates, and the fitted forecast per system.

    >>> rf = revenue_forecast(today=date(2026, 12, 2))
    >>> rf.total.points[0].point                    # December 2026, all systems
    >>> [s.name for s in rf.systems]

Revenue here is **net** revenue (what the company keeps; VAT is passed on), by invoice date,
in the base currency. History is the closed months before the current one, from each system's
first month with revenue; months without invoices in between count as zero. The current month
is the first forecast month.

A fit is kept per system in ``FittedRevenue`` with a fingerprint of the history it used (the
amounts and the month they end in), so a page view only re-reads the history (a few thousand
daily rows) and reuses the fit, whatever day it was made, until the history changes. After a
sync changed a system's invoices the fit is redone in the background (``forecasts.tasks``), and
the daily scheduler redoes it when a month closes, so pages rarely wait for a fit; when none is
kept (a fresh installation, no worker running) the first view fits once and keeps it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from forecaster.forecasts import revenue as model
from forecaster.forecasts.models import FittedRevenue
from forecaster.reports.queries import revenue
from forecaster.systems.models import AccountingSystem

MAX_HORIZON = 36
# Bump when the model or its settings change, so kept fits are recomputed.
MODEL_VERSION = "ets-1"
ZERO = Decimal("0.00")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def monthly_history(system_id: int | None, before: date) -> tuple[list[date], list[Decimal]]:
    """``(months, net amounts)`` of the closed months before ``before``'s month, from the first
    month with revenue, zeros filled in."""
    end = add_months(month_start(before), -1)
    rows = revenue(None, _month_end(end), by="month", system=system_id, currency="").rows
    if not rows:
        return [], []
    found = {r.period: r.net for r in rows}
    first = date.fromisoformat(rows[0].period + "-01")
    months, amounts = [], []
    current = first
    while current <= end:
        months.append(current)
        amounts.append(found.get(month_key(current), ZERO))
        current = add_months(current, 1)
    return months, amounts


def _month_end(first: date) -> date:
    return date.fromordinal(add_months(first, 1).toordinal() - 1)


@dataclass
class SystemRevenue:
    """One system's (or the total's) history, forecast and backtest."""

    system_id: int | None
    name: str
    history_months: list[date]
    history: list[Decimal]
    months: list[date]  # the forecast months, the current one first
    method: str  # "seasonal" / "trend" / "average" / "none"; "sum" for the total
    points: list[model.Point] = field(default_factory=list)
    backtest: model.Backtest | None = None
    # WHMCS's pipeline per forecast month: the net of the unpaid invoices already issued and due
    # in it, and how many they are (not part of ``points``, which is the model alone).
    pipeline: list[Decimal] = field(default_factory=list)
    pipeline_counts: list[int] = field(default_factory=list)

    @property
    def method_label(self) -> str:
        if self.method == "sum":
            return ""
        return str(model.METHOD_LABELS[self.method])


@dataclass
class RevenueForecast:
    today: date
    horizon: int
    systems: list[SystemRevenue]
    total: SystemRevenue


def revenue_forecast(today: date, horizon: int = 12) -> RevenueForecast:
    """Every system's forecast for ``horizon`` months from ``today``'s month, and the total."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be between 1 and {MAX_HORIZON} months")
    start = month_start(today)
    months = [add_months(start, i) for i in range(horizon)]
    systems = [
        system_revenue(s.pk, s.name, today, months) for s in AccountingSystem.objects.order_by("name", "pk")
    ]
    return RevenueForecast(
        today=today, horizon=horizon, systems=systems, total=_total(systems, today, months)
    )


def system_revenue(system_id: int, name: str, today: date, months: list[date]) -> SystemRevenue:
    hist_months, history = monthly_history(system_id, today)
    fit = _fitted(system_id, today, history)
    horizon = len(months)
    points = [model.Point(Decimal(p[0]), Decimal(p[1]), Decimal(p[2])) for p in fit["points"][:horizon]]
    return SystemRevenue(
        system_id=system_id,
        name=name,
        history_months=hist_months,
        history=history,
        months=months,
        method=fit["method"],
        points=points,
        backtest=_backtest_from(fit.get("backtest")),
        **_pipeline(system_id, months),
    )


def _pipeline(system_id: int, months: list[date]) -> dict[str, list]:
    """The synced unpaid invoices of ``system_id`` due in each of ``months``: net amounts in the
    base currency and counts (see ``forecaster.sync.engine.pipeline``)."""
    from forecaster.sync.models import UnpaidInvoice

    index = {m: i for i, m in enumerate(months)}
    amounts, counts = [ZERO] * len(months), [0] * len(months)
    rows = UnpaidInvoice.objects.filter(
        system_id=system_id, due_date__gte=months[0], due_date__lt=add_months(months[-1], 1)
    ).values_list("due_date", "net_base")
    for due, net in rows:
        i = index[month_start(due)]
        amounts[i] += net
        counts[i] += 1
    return {"pipeline": amounts, "pipeline_counts": counts}


def _fingerprint(history: list[Decimal], today: date) -> str:
    text = f"{MODEL_VERSION}:{month_key(month_start(today))}:" + ",".join(str(v) for v in history)
    return hashlib.sha256(text.encode()).hexdigest()


def refit(system_id: int, today: date) -> bool:
    """Make sure the kept fit of ``system_id`` is the one of its current history; ``True`` when a
    fit was made (the background task after a sync, and the daily scheduler, call this)."""
    _months, history = monthly_history(system_id, today)
    kept = _kept(system_id)
    if kept is not None and kept.fingerprint == _fingerprint(history, today):
        return False
    _fitted(system_id, today, history)
    return True


def _kept(system_id: int) -> FittedRevenue | None:
    return FittedRevenue.objects.filter(system_id=system_id).order_by("-made_on").first()


def _fitted(system_id: int, today: date, history: list[Decimal]) -> dict:
    """The kept fit if its history is unchanged (made any day), else a new fit (then kept)."""
    fingerprint = _fingerprint(history, today)
    kept = _kept(system_id)
    if kept is not None and kept.fingerprint == fingerprint:
        return kept.payload
    payload = fit_payload(history)
    try:
        with transaction.atomic():
            FittedRevenue.objects.update_or_create(
                system_id=system_id,
                made_on=today,
                defaults={"fingerprint": fingerprint, "payload": payload},
            )
    except IntegrityError:
        pass  # another request kept the same fit at the same moment; ours is equal
    # Other days' fits are never read again.
    FittedRevenue.objects.filter(system_id=system_id).exclude(made_on=today).delete()
    return payload


def fit_payload(history: list[Decimal]) -> dict:
    """The forecast (``MAX_HORIZON`` months) and backtest of ``history`` as JSON-ready strings."""
    method = model.method_for(len(history))
    if method == "none":
        return {"method": "none", "points": [], "backtest": None}
    fc = model.forecast(history, MAX_HORIZON)
    bt = model.backtest(history)
    return {
        "method": fc.method,
        "points": [[str(p.point), str(p.lower), str(p.upper)] for p in fc.points],
        "backtest": _backtest_to(bt) if bt else None,
    }


def _score_to(score: model.Score | None) -> dict | None:
    if score is None:
        return None
    return {
        "predictions": [str(v) for v in score.predictions],
        "mae": str(score.mae),
        "wape": None if score.wape is None else str(score.wape),
    }


def _score_from(data: dict | None) -> model.Score | None:
    if data is None:
        return None
    return model.Score(
        predictions=[Decimal(v) for v in data["predictions"]],
        mae=Decimal(data["mae"]),
        wape=None if data["wape"] is None else Decimal(data["wape"]),
    )


def _backtest_to(bt: model.Backtest) -> dict:
    return {
        "method": bt.method,
        "actual": [str(v) for v in bt.actual],
        "model": _score_to(bt.model),
        "same_month_last_year": _score_to(bt.same_month_last_year),
        "last_3_months": _score_to(bt.last_3_months),
    }


def _backtest_from(data: dict | None) -> model.Backtest | None:
    if not data:
        return None
    return model.Backtest(
        method=data["method"],
        actual=[Decimal(v) for v in data["actual"]],
        model=_score_from(data["model"]),
        same_month_last_year=_score_from(data["same_month_last_year"]),
        last_3_months=_score_from(data["last_3_months"]),
    )


def _total(systems: list[SystemRevenue], today: date, months: list[date]) -> SystemRevenue:
    """The sum of the systems: points add up to the cent; the interval adds the systems' bounds,
    which is conservative (it assumes the systems move together)."""
    points = []
    for i in range(len(months)):
        parts = [s.points[i] for s in systems if s.points]
        points.append(
            model.Point(
                sum((p.point for p in parts), ZERO),
                sum((p.lower for p in parts), ZERO),
                sum((p.upper for p in parts), ZERO),
            )
        )
    hist_months, history = monthly_history(None, today)
    pipeline = [sum((s.pipeline[i] for s in systems), ZERO) for i in range(len(months))]
    counts = [sum(s.pipeline_counts[i] for s in systems) for i in range(len(months))]
    return SystemRevenue(
        system_id=None,
        name="",
        history_months=hist_months,
        history=history,
        months=months,
        method="sum",
        points=points if any(s.points for s in systems) else [],
        backtest=_total_backtest(systems, history),
        pipeline=pipeline,
        pipeline_counts=counts,
    )


def _total_backtest(systems: list[SystemRevenue], history: list[Decimal]) -> model.Backtest | None:
    """The systems' backtests added up, against the baselines computed on the total history."""
    tests = [s.backtest for s in systems if s.backtest is not None]
    if not tests or len(history) <= model.BACKTEST_MONTHS:
        return None
    n = model.BACKTEST_MONTHS
    # The total backtest is only shown when every system with revenue has one: a system left
    # out would make the sum look better or worse than it is.
    if len(tests) != sum(1 for s in systems if s.history):
        return None
    predictions = [sum((t.model.predictions[i] for t in tests), ZERO) for i in range(n)]
    return model.compare(history, predictions, "sum")
