"""Forecast pages: thin adapters over ``history`` (revenue) and the outlook."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from forecaster.currency.base import base_currency
from forecaster.forecasts import exports
from forecaster.forecasts.history import MAX_HORIZON, month_key, revenue_forecast
from forecaster.forecasts.models import Scenario
from forecaster.forecasts.scenarios import scenario_outlook
from forecaster.forecasts.snapshots import versus
from forecaster.lib.display import period_text
from forecaster.lib.money import fmt

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


def revenue_chart(line: Any, currency: str, history_months: int = 24) -> dict:
    """Chart data for one line: the last ``history_months`` actual months and the forecast
    (point and interval), amounts as two-decimal strings."""
    hist = list(zip(line.history_months, line.history, strict=True))[-history_months:]
    return {
        "currency": currency,
        "labels": [period_text(month_key(m)) for m in [*(m for m, _v in hist), *line.months]],
        "actual": [fmt(v) for _m, v in hist] + [None] * len(line.months),
        "forecast": [None] * len(hist) + [fmt(p.point) for p in line.points],
        "lower": [None] * len(hist) + [fmt(p.lower) for p in line.points],
        "upper": [None] * len(hist) + [fmt(p.upper) for p in line.points],
        "today": len(hist),
        "actualLabel": _("Actual"),
        "forecastLabel": _("Forecast"),
        # xgettext:no-python-format
        "bandLabel": _("Upper bound of the interval"),
        # xgettext:no-python-format
        "bandLowLabel": _("Lower bound of the interval"),
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
                    "rows": list(zip(line.months, line.points, line.pipeline, strict=False)),
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


# --- the outlook ------------------------------------------------------------------------------
def _scenario_from(request: HttpRequest) -> tuple[Scenario | None, str | None]:
    raw = (request.GET.get("scenario") or "").strip()
    if not raw:
        return None, None
    if not raw.isdigit():
        return None, _("Unknown scenario.")
    found = Scenario.objects.filter(pk=int(raw)).first()
    return found, None if found else _("Unknown scenario.")


def outlook_from(request: HttpRequest) -> tuple[Any, int, Any, str | None]:
    """``(outlook, horizon, scenario, error)`` from the query string."""
    horizon, error = horizon_from(request)
    scenario, scenario_error = _scenario_from(request)
    o = scenario_outlook(timezone.localdate(), horizon, scenario)
    return o, horizon, scenario, error or scenario_error


def outlook_chart(o: Any) -> dict:
    """Revenue, costs and result: actual months solid, forecast dashed (joined at the last
    actual month), the revenue interval as a band; amounts as two-decimal strings."""
    n_actual = sum(1 for m in o.months if m.actual)

    def split(values: list[str]) -> tuple[list, list]:
        solid = [v if m.actual else None for v, m in zip(values, o.months, strict=True)]
        dashed = [None if m.actual else v for v, m in zip(values, o.months, strict=True)]
        if n_actual:
            dashed[n_actual - 1] = values[n_actual - 1]  # the dashed line starts where the solid ends
        return solid, dashed

    revenue = [fmt(m.revenue.amount) for m in o.months]
    costs = [fmt(m.costs.amount) for m in o.months]
    result = [fmt(m.result) for m in o.months]
    series = []
    for label, values, color in (
        (_("Revenue"), revenue, "#1f5fbf"),
        (_("Costs"), costs, "#b3261e"),
        (_("Result"), result, "#1e7d32"),
    ):
        solid, dashed = split(values)
        series.append({"label": label, "values": solid, "color": color, "dashed": False})
        series.append(
            {"label": label + " " + _("(forecast)"), "values": dashed, "color": color, "dashed": True}
        )
    return {
        "currency": o.currency,
        "labels": [period_text(m.key) for m in o.months],
        "series": series,
        "lower": [None if m.actual else fmt(m.revenue.lower or m.revenue.amount) for m in o.months],
        "upper": [None if m.actual else fmt(m.revenue.upper or m.revenue.amount) for m in o.months],
        "today": n_actual,
        "todayLabel": _("today"),
        "bandLabel": _("Revenue, upper bound"),
        "bandLowLabel": _("Revenue, lower bound"),
        "allowNegative": True,
    }


@require_GET
def outlook_page(request: HttpRequest) -> HttpResponse:
    """Revenue, costs, result and cumulative result per month, with a scenario to choose."""
    o, horizon, scenario, error = outlook_from(request)
    query = request.GET.urlencode()
    return render(
        request,
        "forecasts/outlook.html",
        {
            "o": o,
            "chart": outlook_chart(o),
            "horizon": horizon,
            "scenario": scenario,
            "scenarios": Scenario.objects.all(),
            "error": error,
            "query": query,
            "multi": len(o.systems) > 1,
        },
        status=400 if error else 200,
    )


@require_GET
def outlook_export(request: HttpRequest, fmt_name: str) -> HttpResponse:
    """The outlook as ``csv``, ``json``, ``xlsx`` or ``pdf`` (a download)."""
    o, horizon, scenario, error = outlook_from(request)
    if error:
        return HttpResponse(error + "\n", status=400, content_type="text/plain; charset=utf-8")
    name = f"outlook-{o.today.isoformat()}-{horizon}m" + (f"-scenario{scenario.pk}" if scenario else "")
    if fmt_name == "csv":
        response = HttpResponse(exports.outlook_csv(o), content_type="text/csv; charset=utf-8")
    elif fmt_name == "json":
        response = HttpResponse(
            json.dumps(exports.outlook_json(o), ensure_ascii=False), content_type="application/json"
        )
    elif fmt_name == "xlsx":
        response = HttpResponse(
            exports.outlook_xlsx(o),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt_name == "pdf":
        from forecaster.forecasts.pdf import outlook_pdf

        response = HttpResponse(outlook_pdf(o), content_type="application/pdf")
    else:
        raise Http404(_("No such export format."))
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt_name}"'
    return response


@require_GET
def versus_page(request: HttpRequest) -> HttpResponse:
    """Each closed month's forecast (kept at its start) next to its actual, per line."""
    return render(
        request,
        "forecasts/versus.html",
        {"rows": versus(timezone.localdate()), "currency": base_currency()},
    )
