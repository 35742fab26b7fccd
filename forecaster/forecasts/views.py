"""Forecast pages: thin adapters over ``history`` (revenue) and the outlook."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from forecaster.forecasts.history import MAX_HORIZON, month_key, revenue_forecast
from forecaster.lib.money import fmt
from forecaster.reports.rates import base_currency

DEFAULT_HORIZON = 12


def horizon_from(request: HttpRequest) -> tuple[int, str | None]:
    """``(months, error)`` from ``?months=`` (default 12, 1 to 36)."""
    raw = (request.GET.get("months") or "").strip()
    if not raw:
        return DEFAULT_HORIZON, None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HORIZON:
        return DEFAULT_HORIZON, _("Months ahead must be a whole number from 1 to %(max)s.") % {
            "max": MAX_HORIZON
        }
    return int(raw), None


def revenue_chart(line, currency: str, history_months: int = 24) -> dict:
    """Chart data for one line: the last ``history_months`` actual months and the forecast
    (point and interval), amounts as two-decimal strings."""
    hist = list(zip(line.history_months, line.history, strict=True))[-history_months:]
    return {
        "currency": currency,
        "labels": [month_key(m) for m, _v in hist] + [month_key(m) for m in line.months],
        "actual": [fmt(v) for _m, v in hist] + [None] * len(line.months),
        "forecast": [None] * len(hist) + [fmt(p.point) for p in line.points],
        "lower": [None] * len(hist) + [fmt(p.lower) for p in line.points],
        "upper": [None] * len(hist) + [fmt(p.upper) for p in line.points],
        "today": len(hist),
        "actualLabel": _("Actual"),
        "forecastLabel": _("Forecast"),
        # xgettext:no-python-format
        "bandLabel": _("80 % interval, high"),
        # xgettext:no-python-format
        "bandLowLabel": _("80 % interval, low"),
        "todayLabel": _("today"),
    }


@require_GET
def revenue_page(request: HttpRequest) -> HttpResponse:
    """Each system's revenue forecast with its interval and backtest, and the total."""
    horizon, error = horizon_from(request)
    today = timezone.localdate()
    currency = base_currency()
    forecast = revenue_forecast(today, horizon)
    lines = [*forecast.systems, forecast.total] if len(forecast.systems) > 1 else forecast.systems
    return render(
        request,
        "forecasts/revenue.html",
        {
            "currency": currency,
            "forecast": forecast,
            "lines": [
                {
                    "line": line,
                    "chart": revenue_chart(line, currency),
                    "rows": list(zip(line.months, line.points, strict=False)),
                    "dom_id": f"rev-{line.system_id or 'total'}",
                    "data_id": f"rev-{line.system_id or 'total'}-data",
                }
                for line in lines
            ],
            "horizon": horizon,
            "horizons": (12, 24, 36),
            "error": error,
        },
        status=400 if error else 200,
    )
