"""Scenarios: list, create/edit (administrators), added commitments, side-by-side comparison."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.forecasts.forms import ScenarioCommitmentForm, ScenarioForm
from forecaster.forecasts.models import Scenario, ScenarioCommitment
from forecaster.forecasts.scenarios import compare, format_fx
from forecaster.forecasts.views import horizon_from
from forecaster.lib.money import fmt
from forecaster.reports.exports import safe_text


@require_GET
def scenario_list(request: HttpRequest) -> HttpResponse:
    scenarios = Scenario.objects.prefetch_related("cancel", "additions")
    return render(
        request,
        "forecasts/scenarios.html",
        {"scenarios": [(s, format_fx(s.fx_shifts)) for s in scenarios]},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def scenario_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scenario = get_object_or_404(Scenario, pk=pk) if pk else None
    form = ScenarioForm(request.POST or None, instance=scenario)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Scenario “%(name)s” saved.") % {"name": saved.name})
        return redirect("forecasts:scenario_edit", pk=saved.pk)
    return render(
        request,
        "forecasts/scenario_form.html",
        {
            "form": form,
            "scenario": scenario,
            "add_form": ScenarioCommitmentForm(prefix="add") if scenario else None,
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def scenario_add_commitment(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = get_object_or_404(Scenario, pk=pk)
    form = ScenarioCommitmentForm(request.POST, prefix="add")
    if form.is_valid():
        added = form.save(commit=False)
        added.scenario = scenario
        added.save()
        messages.success(request, _("“%(name)s” added to the scenario.") % {"name": added.name})
        return redirect("forecasts:scenario_edit", pk=scenario.pk)
    return render(
        request,
        "forecasts/scenario_form.html",
        {"form": ScenarioForm(instance=scenario), "scenario": scenario, "add_form": form},
        status=400,
    )


@admin_required
@require_POST
def scenario_remove_commitment(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    ScenarioCommitment.objects.filter(scenario_id=pk, pk=item).delete()
    messages.success(request, _("Removed from the scenario."))
    return redirect("forecasts:scenario_edit", pk=pk)


@admin_required
@require_POST
def scenario_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = get_object_or_404(Scenario, pk=pk)
    name = scenario.name
    scenario.delete()
    messages.success(request, _("Scenario “%(name)s” deleted.") % {"name": name})
    return redirect("forecasts:scenarios")


def _compared(request: HttpRequest) -> tuple[int, str | None, Any, list]:
    horizon, error = horizon_from(request)
    ids = [int(x) for x in request.GET.getlist("id") if x.isdigit()]
    chosen = list(Scenario.objects.filter(pk__in=ids).prefetch_related("cancel", "additions"))
    outlooks = compare(timezone.localdate(), horizon, [None, *chosen])
    return horizon, error, chosen, outlooks


def _comparison_rows(outlooks: list) -> list[dict]:
    base = outlooks[0]
    rows = []
    for i, m in enumerate(base.months):
        rows.append(
            {
                "month": m.key,
                "columns": [
                    {"revenue": o.months[i].revenue.amount, "costs": o.months[i].costs.amount,
                     "result": o.months[i].result, "cumulative": o.months[i].cumulative}
                    for o in outlooks
                ],
            }
        )  # fmt: skip
    return rows


@require_GET
def scenario_compare(request: HttpRequest) -> HttpResponse:
    """The plain forecast and the chosen scenarios side by side (``?id=1&id=2``)."""
    horizon, error, chosen, outlooks = _compared(request)
    return render(
        request,
        "forecasts/compare.html",
        {
            "horizon": horizon,
            "error": error,
            "chosen": chosen,
            "names": [_("Plain forecast")] + [s.name for s in chosen],
            "rows": _comparison_rows(outlooks),
            "totals": [o.total_result for o in outlooks],
            "all_scenarios": Scenario.objects.all(),
            "chosen_ids": {s.pk for s in chosen},
            "query": request.GET.urlencode(),
            "currency": outlooks[0].currency,
        },
        status=400 if error else 200,
    )


@require_GET
def scenario_compare_export(request: HttpRequest, fmt_name: str) -> HttpResponse:
    _horizon, error, chosen, outlooks = _compared(request)
    if error:
        return HttpResponse(error + "\n", status=400, content_type="text/plain; charset=utf-8")
    names = ["plain"] + [s.name for s in chosen]
    rows = _comparison_rows(outlooks)
    if fmt_name == "json":
        body = {
            "currency": outlooks[0].currency,
            "scenarios": names,
            "months": [
                {
                    "month": r["month"],
                    "scenarios": [
                        {k: (fmt(v) if v is not None else None) for k, v in col.items()}
                        | {"scenario": names[j]}
                        for j, col in enumerate(r["columns"])
                    ],
                }
                for r in rows
            ],
        }
        response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")
    elif fmt_name == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["month", "scenario", "revenue", "costs", "result", "cumulative_result"])
        for r in rows:
            for j, col in enumerate(r["columns"]):
                amounts = [fmt(col[k]) for k in ("revenue", "costs", "result", "cumulative")]
                writer.writerow([r["month"], safe_text(names[j]), *amounts])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404(_("No such export format."))
    response["Content-Disposition"] = f'attachment; filename="scenarios-{timezone.localdate()}.{fmt_name}"'
    return response
