"""Commitments: list by year and month (flagged when an invoice is dated after the end), page with
the original's "To end", create by hand or from a cost invoice, price steps, delete."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.costs import periods, queries
from forecaster.costs.forms import CommitmentForm, PriceStepForm
from forecaster.costs.models import Commitment, CostInvoice, PriceStep
from forecaster.costs.views.common import chart, history, months_back, span, year_month
from forecaster.currency.base import base_currency
from forecaster.reports.queries import cents


@require_GET
def commitment_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year, month, error = year_month(request)
    first, last = span(year, month)
    invoice_filter = Q()
    if first is not None:
        invoice_filter = Q(cost_invoices__document_date__gte=first, cost_invoices__document_date__lte=last)
    rows = []
    stats = Commitment.objects.select_related("counterparty", "agreement__counterparty").annotate(
        n=Count("cost_invoices", filter=invoice_filter),
        net=Sum("cost_invoices__net_base_cents", filter=invoice_filter),
        vat=Sum("cost_invoices__vat_base_cents", filter=invoice_filter),
        first=Min("cost_invoices__document_date"),
        last=Max("cost_invoices__document_date"),
    )
    for c in stats:
        p = periods.period(c, today, (c.first, c.last))
        if first is not None and not _overlaps(p, first, last) and not c.n:
            continue
        net = cents(c.net)
        rows.append(
            {
                "c": c,
                "period": p,
                "invoices": c.n,
                "net": net,
                "gross": net + cents(c.vat),
                "flagged": p.end is not None and c.last is not None and c.last > p.end,
            }
        )
    years = sorted(
        {d.year for d in CostInvoice.objects.dates("document_date", "year")} | {today.year}, reverse=True
    )
    return render(
        request,
        "costs/commitment_list.html",
        {
            "rows": rows,
            "error": error,
            "year": year,
            "month": month,
            "years": years,
            "months": range(1, 13),
            "currency": base_currency(),
            "total_net": sum((r["net"] for r in rows), Decimal("0.00")),
            "total_gross": sum((r["gross"] for r in rows), Decimal("0.00")),
        },
        status=400 if error else 200,
    )


def _overlaps(p: periods.Period, first: date, last: date) -> bool:
    if p.start is None:
        return False
    return p.start <= last and (p.end is None or p.end >= first)


@require_GET
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Commitment.objects.select_related("counterparty", "agreement__counterparty"), pk=pk)
    today = timezone.localdate()
    currency = base_currency()
    p = periods.period(c, today)
    incurred = queries.total(commitment=c.pk)
    original = periods.to_end(c, today)
    chart_data = None
    if incurred.invoices:
        bounds = CostInvoice.objects.filter(commitment=c).aggregate(
            a=Min("document_date"), b=Max("document_date")
        )
        start = max(bounds["a"], months_back(bounds["b"], 35))
        chart_data = chart(
            queries.monthly_costs(start.replace(day=1), bounds["b"], commitment=c.pk), currency
        )
    expected = periods.schedule(c, today, date(today.year + 1, today.month, 1), today)
    return render(
        request,
        "costs/commitment_detail.html",
        {
            "c": c,
            "period": p,
            "currency": currency,
            "incurred": incurred,
            "per_invoice": (incurred.net / incurred.invoices).quantize(Decimal("0.01"))
            if incurred.invoices
            else None,
            "to_end": original,
            "chart": chart_data,
            "invoices": c.cost_invoices.select_related("counterparty"),
            "flagged": c.cost_invoices.filter(document_date__gt=p.end).exists() if p.end else False,
            "steps": c.price_steps.all(),
            "step_form": PriceStepForm(),
            "expected": expected,
            "history": history(c),
            "today": today,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def commitment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    c = get_object_or_404(Commitment, pk=pk) if pk else None
    initial: dict = {}
    source = None
    raw = request.POST.get("from_invoice") or request.GET.get("from_invoice")
    if c is None and raw and str(raw).isdigit():
        source = CostInvoice.objects.select_related("counterparty").filter(pk=int(raw)).first()
    if source is not None:
        initial = {
            "name": f"{source.counterparty} — {source.number}",
            "counterparty": source.counterparty_id,
            "from_invoice": source.pk,
        }
    elif c is None and request.GET.get("counterparty", "").isdigit():
        initial["counterparty"] = request.GET["counterparty"]
    form = CommitmentForm(request.POST or None, instance=c, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            if source is not None:
                source.commitment = saved
                source.save()
        messages.success(request, _("Commitment “%(name)s” saved.") % {"name": saved})
        return redirect("costs:commitment", pk=saved.pk)
    return render(
        request,
        "costs/form.html",
        {
            "form": form,
            "title": _("Edit commitment") if c else _("New commitment"),
            "intro": (
                _("Created from cost invoice %(n)s, which will be linked to it.") % {"n": source}
                if source
                else None
            ),
            "cancel": c.get_absolute_url() if c else "/costs/commitments/",
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def commitment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Commitment, pk=pk)
    n = c.cost_invoices.count()
    steps = c.price_steps.count()
    goes = []
    if n:
        goes.append(_("%(n)d cost invoice(s) are kept but no longer linked to a commitment") % {"n": n})
    if steps:
        goes.append(_("%(n)d price step(s) of its schedule are deleted") % {"n": steps})
    if request.method == "POST":
        c.delete()
        messages.success(request, _("Commitment deleted."))
        return redirect("costs:commitments")
    return render(
        request,
        "costs/confirm_delete.html",
        {"object": c, "refused": [], "goes": goes, "cancel": c, "what": _("commitment")},
    )


@admin_required
@require_POST
def price_step_add(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Commitment, pk=pk)
    form = PriceStepForm(request.POST, instance=PriceStep(commitment=c))
    if form.is_valid():
        PriceStep.objects.update_or_create(
            commitment=c,
            effective_on=form.cleaned_data["effective_on"],
            defaults={"amount": form.cleaned_data["amount"]},
        )
        messages.success(request, _("Price step saved."))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect("costs:commitment", pk=c.pk)


@admin_required
@require_POST
def price_step_delete(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    PriceStep.objects.filter(pk=step, commitment_id=pk).delete()
    messages.success(request, _("Price step removed."))
    return redirect("costs:commitment", pk=pk)
