"""The Costs and Result reports with their downloads (CSV, JSON, XLSX), like the revenue report."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from forecaster.costs import exports, queries
from forecaster.costs.models import Commitment, Counterparty, Tag
from forecaster.costs.params import parse_cost_params
from forecaster.costs.views.common import months_back
from forecaster.lib.display import period_text
from forecaster.lib.money import fmt
from forecaster.reports.params import ParamError

PERIODS = ("year", "month", "day")  # groupings whose labels are periods (shown in the reader's format)


def build(request_get: QueryDict, kind: str) -> tuple[Any, Any, str | None]:
    """``(report, params, error)`` for ``kind`` = ``costs`` or ``result``."""
    try:
        p = parse_cost_params(request_get, result=kind == "result")
    except ParamError as exc:
        return None, None, str(exc)
    if kind == "result":
        return queries.result(p.date_from, p.date_to, p.by, p.basis), p, None
    return queries.costs(p.date_from, p.date_to, p.by, p.counterparty, p.commitment, p.tag), p, None


def _presets(request: HttpRequest) -> list[tuple[str, str]]:
    today = timezone.localdate()
    presets = [
        (_("This year"), {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()}),
        (
            _("Last year"),
            {"from": date(today.year - 1, 1, 1).isoformat(), "to": date(today.year - 1, 12, 31).isoformat()},
        ),
        (_("Last 12 months"), {"from": months_back(today, 11).isoformat(), "to": today.isoformat()}),
        (_("All time"), {}),
    ]
    out = []
    for label, values in presets:
        q = request.GET.copy()
        for key in ("from", "to"):
            q.pop(key, None)
        q.update(values)
        out.append((label, q.urlencode()))
    return out


def _cost_chart(report: Any) -> dict:
    return {
        "currency": report.currency,
        "kind": "pie" if report.by in ("counterparty", "commitment", "tag") else "bar",
        "labels": [period_text(r.label) if report.by in PERIODS else r.label for r in report.rows],
        "net": [fmt(r.net) for r in report.rows],
        "tax": [fmt(r.vat) for r in report.rows],
        "gross": [fmt(r.gross) for r in report.rows],
        "invoices": [r.invoices for r in report.rows],
    }


def result_chart(rows: list, currency: str) -> dict:
    return {
        "currency": currency,
        "labels": [period_text(r.period) for r in rows],
        "revenue": [fmt(r.revenue_net) for r in rows],
        "costs": [fmt(r.costs_net) for r in rows],
        "result": [fmt(r.result_net) for r in rows],
    }


@require_GET
def costs_page(request: HttpRequest) -> HttpResponse:
    report, params, error = build(request.GET, "costs")
    return render(
        request,
        "costs/report_costs.html",
        {
            "report": report,
            "params": params,
            "error": error,
            "chart": _cost_chart(report) if report and report.rows else None,
            "query": request.GET.urlencode(),
            "presets": _presets(request),
            "groupings": [
                ("year", _("Year")),
                ("month", _("Month")),
                ("day", _("Day")),
                ("counterparty", _("Counterparty")),
                ("commitment", _("Commitment")),
                ("tag", _("Tag")),
            ],
            "parties": Counterparty.objects.only("id", "company_name"),
            "commitments": Commitment.objects.only("id", "name"),
            "tags": Tag.objects.all(),
            "by": request.GET.get("by") or "month",
            "periods": PERIODS,
        },
        status=400 if error else 200,
    )


@require_GET
def result_page(request: HttpRequest) -> HttpResponse:
    report, _params, error = build(request.GET, "result")
    return render(
        request,
        "costs/report_result.html",
        {
            "report": report,
            "error": error,
            "chart": result_chart(report.rows, report.currency) if report and report.rows else None,
            "query": request.GET.urlencode(),
            "presets": _presets(request),
            "by": request.GET.get("by") or "month",
            "basis": request.GET.get("basis") or "invoice",
        },
        status=400 if error else 200,
    )


@require_GET
def export(request: HttpRequest, kind: str, fmt_name: str) -> HttpResponse:
    """The same report as the page as ``csv``, ``json`` or ``xlsx`` (a download)."""
    if kind not in ("costs", "result"):
        raise Http404(_("No such report."))
    report, _params, error = build(request.GET, kind)
    if error:
        return HttpResponse(error + "\n", status=400, content_type="text/plain; charset=utf-8")
    name = "{}-{}-{}-{}".format(
        kind,
        report.by,
        report.date_from.isoformat() if report.date_from else "start",
        report.date_to.isoformat() if report.date_to else "end",
    )
    if fmt_name == "csv":
        response = HttpResponse(exports.to_csv(report), content_type="text/csv; charset=utf-8")
    elif fmt_name == "json":
        body = exports.costs_json(report) if kind == "costs" else exports.result_json(report)
        response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")
    elif fmt_name == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(report, title="Costs" if kind == "costs" else "Result"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404(_("No such download format."))
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt_name}"'
    return response
