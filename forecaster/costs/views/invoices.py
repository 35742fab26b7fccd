"""Cost invoices: list, form (converted into the base currency on save), page, delete; the
exchange rates for cost invoices; the CSV import (upload with a dry run)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from forecaster.accounts.roles import admin_required, is_admin
from forecaster.costs import importer, queries
from forecaster.costs.forms import CostInvoiceForm, CostRateForm, ImportForm
from forecaster.costs.models import CostCurrencyRate, CostInvoice, Counterparty
from forecaster.costs.views.common import history, span, year_month
from forecaster.currency.base import base_currency

PAGE = 200


@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    year, month, error = year_month(request)
    first, last = span(year, month)
    party = request.GET.get("counterparty") or ""
    q = (request.GET.get("q") or "").strip()[:100]
    qs = queries.invoices(first, last, int(party) if party.isdigit() else None)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(counterparty__company_name__icontains=q))
    agg = queries.total(first, last, int(party) if party.isdigit() else None) if not q else None
    rows = qs.select_related("counterparty", "commitment").order_by("-document_date", "-id")
    return render(
        request,
        "costs/invoice_list.html",
        {
            "rows": rows[:PAGE],
            "more": max(0, rows.count() - PAGE),
            "total": agg,
            "error": error,
            "year": year,
            "month": month,
            "years": sorted(
                {d.year for d in CostInvoice.objects.dates("document_date", "year")}, reverse=True
            ),
            "months": range(1, 13),
            "parties": Counterparty.objects.only("id", "company_name"),
            "party": party,
            "q": q,
            "currency": base_currency(),
        },
        status=400 if error else 200,
    )


@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inv = get_object_or_404(CostInvoice.objects.select_related("counterparty", "commitment"), pk=pk)
    return render(
        request,
        "costs/invoice_detail.html",
        {"inv": inv, "tags": inv.tags.all(), "history": history(inv), "currency": base_currency()},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    inv = get_object_or_404(CostInvoice, pk=pk) if pk else None
    initial = {}
    for name in ("counterparty", "commitment"):
        if inv is None and request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    form = CostInvoiceForm(request.POST or None, instance=inv, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(
            request,
            _("Cost invoice %(n)s saved: %(net)s %(cur)s net = %(base)s %(basecur)s.")
            % {
                "n": saved.number,
                "net": saved.net,
                "cur": saved.currency,
                "base": saved.net_base,
                "basecur": saved.base_currency,
            },
        )
        return redirect("costs:invoice", pk=saved.pk)
    return render(
        request,
        "costs/form.html",
        {
            "form": form,
            "title": _("Edit cost invoice") if inv else _("New cost invoice"),
            "intro": _("Amounts in the invoice currency; they are converted into %(cur)s when saved.")
            % {"cur": base_currency()},
            "cancel": inv.get_absolute_url() if inv else "/costs/invoices/",
            "empty_parties": not Counterparty.objects.exists(),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    inv = get_object_or_404(CostInvoice, pk=pk)
    if request.method == "POST":
        inv.delete()
        messages.success(request, _("Cost invoice %(n)s deleted.") % {"n": inv.number})
        return redirect("costs:invoices")
    goes = [_("its costs leave every report and its commitment's figures")]
    return render(
        request,
        "costs/confirm_delete.html",
        {"object": inv, "refused": [], "goes": goes, "cancel": inv, "what": _("cost invoice")},
    )


@require_http_methods(["GET", "POST"])
def cost_rates(request: HttpRequest) -> HttpResponse:
    """Fixed rates for cost invoices; everyone sees them, administrators change them."""
    form = CostRateForm()
    if request.method == "POST":
        if not is_admin(request.user):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("Only an administrator can change exchange rates."))
        if request.POST.get("action") == "delete":
            CostCurrencyRate.objects.filter(currency=(request.POST.get("currency") or "")[:3]).delete()
            messages.success(request, _("Rate removed; new and edited invoices use the ECB rate again."))
            return redirect("costs:rates")
        form = CostRateForm(
            request.POST,
            instance=CostCurrencyRate.objects.filter(
                currency=(request.POST.get("currency") or "").strip().upper()[:3]
            ).first(),
        )
        if form.is_valid():
            row = form.save(commit=False)
            row.updated_by = request.user
            row.save()
            messages.success(
                request,
                _("Rate for %(cur)s saved; it applies to cost invoices saved from now on.")
                % {"cur": row.currency},
            )
            return redirect("costs:rates")
    return render(
        request,
        "costs/rates.html",
        {"rates": CostCurrencyRate.objects.all(), "form": form, "currency": base_currency()},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def invoice_import(request: HttpRequest) -> HttpResponse:
    outcome = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        outcome = importer.import_csv(data, dry_run=form.cleaned_data["dry_run"])
        if outcome.ok and not outcome.dry_run:
            messages.success(request, _("Imported %(n)d cost invoice(s).") % {"n": len(outcome.created)})
            return redirect("costs:invoices")
    return render(
        request,
        "costs/import.html",
        {"form": form, "outcome": outcome, "columns": importer.COLUMNS},
        status=400 if outcome is not None and not outcome.ok else 200,
    )
