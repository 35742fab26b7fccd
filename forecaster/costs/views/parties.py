"""Counterparties: list with search, create, edit, profile, delete (refused while referenced)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from forecaster.accounts.roles import admin_required
from forecaster.costs import periods, queries
from forecaster.costs.forms import CounterpartyForm
from forecaster.costs.models import Commitment, Counterparty
from forecaster.costs.views.common import chart, history, months_back
from forecaster.currency.base import base_currency


@require_GET
def party_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    rows = Counterparty.objects.annotate(
        n_invoices=Count("cost_invoices", distinct=True),
        n_agreements=Count("agreements", distinct=True),
        n_commitments=Count("commitments", distinct=True),
    )
    if q:
        rows = rows.filter(
            Q(company_name__icontains=q)
            | Q(vat_id__icontains=q)
            | Q(city__icontains=q)
            | Q(email__icontains=q)
            | Q(last_name__icontains=q)
        )
    return render(request, "costs/party_list.html", {"rows": rows, "q": q})


def references(party: Counterparty) -> list[str]:
    """What refers to ``party`` (why it cannot be deleted), in words; empty when nothing does."""
    found = []
    n = party.cost_invoices.count()
    if n:
        found.append(_("%(n)d cost invoice(s)") % {"n": n})
    n = party.agreements.count()
    if n:
        found.append(_("%(n)d agreement(s)") % {"n": n})
    n = party.commitments.count()
    if n:
        found.append(_("%(n)d commitment(s)") % {"n": n})
    return found


@admin_required
@require_http_methods(["GET", "POST"])
def party_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    party = get_object_or_404(Counterparty, pk=pk) if pk else None
    form = CounterpartyForm(request.POST or None, instance=party)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Counterparty “%(name)s” saved.") % {"name": saved})
        return redirect("costs:party", pk=saved.pk)
    return render(
        request,
        "costs/party_form.html",
        {"form": form, "party": party, "duplicates": getattr(form, "duplicates", [])},
        status=400 if form.errors else 200,
    )


@require_GET
def party_detail(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(Counterparty, pk=pk)
    today = timezone.localdate()
    currency = base_currency()
    year = queries.total(today.replace(month=1, day=1), today, counterparty=party.pk)
    overall = queries.total(counterparty=party.pk)
    first = party.cost_invoices.order_by("document_date").values_list("document_date", flat=True).first()
    start = max(first, months_back(today, 35)) if first else months_back(today, 11)
    monthly = queries.monthly_costs(start.replace(day=1), today, counterparty=party.pk)
    commitments = list(party.commitments.select_related("agreement"))
    active = [c for c in commitments if _active(c, today)]
    return render(
        request,
        "costs/party_detail.html",
        {
            "party": party,
            "currency": currency,
            "year": year,
            "overall": overall,
            "chart": chart(monthly, currency) if overall.invoices else None,
            "invoices": party.cost_invoices.select_related("commitment")[:100],
            "agreements": party.agreements.all(),
            "commitments": commitments,
            "active": len(active),
            "history": history(party),
            "today": today,
        },
    )


def _active(c: Commitment, today: date) -> bool:
    p = periods.period(c, today)
    return p.start is not None and p.start <= today and (p.end is None or p.end >= today)


@admin_required
@require_http_methods(["GET", "POST"])
def party_delete(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(Counterparty, pk=pk)
    refs = references(party)
    if request.method == "POST" and not refs:
        name = str(party)
        party.delete()
        messages.success(request, _("Counterparty “%(name)s” deleted.") % {"name": name})
        return redirect("costs:parties")
    return render(
        request,
        "costs/confirm_delete.html",
        {
            "object": party,
            "refused": refs,
            "goes": [],
            "cancel": party,
            "what": _("counterparty"),
        },
        status=409 if refs and request.method == "POST" else 200,
    )
