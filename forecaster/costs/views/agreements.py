"""Agreements and their annexes, with the terms in force today and the cancel-by date."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from forecaster.accounts.roles import admin_required
from forecaster.costs import terms as T
from forecaster.costs.forms import AgreementForm, AnnexForm
from forecaster.costs.models import Agreement, Annex, Counterparty
from forecaster.costs.views.common import history


def summary(agreement: Agreement, today: date) -> dict:
    """The figures a person wants about an agreement today."""
    terms = agreement.terms_on(today)
    return {
        "agreement": agreement,
        "terms": terms,
        "end": T.term_end(terms, today),
        "cancel_by": T.cancel_by(terms, today),
        "earliest": T.earliest_end(terms, today),
    }


@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [
        summary(a, today)
        for a in Agreement.objects.select_related("counterparty").prefetch_related("annexes")
    ]
    return render(request, "costs/agreement_list.html", {"rows": rows, "today": today})


@require_GET
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(Agreement.objects.select_related("counterparty"), pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "costs/agreement_detail.html",
        {
            **summary(agreement, today),
            "annexes": agreement.annexes.all(),
            "commitments": agreement.commitments.all(),
            "history": history(agreement),
            "today": today,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agreement = get_object_or_404(Agreement, pk=pk) if pk else None
    initial = {}
    if agreement is None and request.GET.get("counterparty", "").isdigit():
        initial["counterparty"] = request.GET["counterparty"]
    form = AgreementForm(request.POST or None, instance=agreement, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Agreement “%(name)s” saved.") % {"name": saved.title})
        return redirect("costs:agreement", pk=saved.pk)
    return render(
        request,
        "costs/form.html",
        {
            "form": form,
            "title": _("Edit agreement") if agreement else _("New agreement"),
            "cancel": agreement.get_absolute_url() if agreement else "/costs/agreements/",
            "empty_parties": not Counterparty.objects.exists(),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def agreement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(Agreement, pk=pk)
    bound = list(agreement.commitments.all())
    refused = (
        [
            _("%(n)d commitment(s) bound to it: %(names)s")
            % {"n": len(bound), "names": ", ".join(map(str, bound))}
        ]
        if bound
        else []
    )
    n_annexes = agreement.annexes.count()
    goes = [_("%(n)d annex(es)") % {"n": n_annexes}] if n_annexes else []
    if request.method == "POST" and not refused:
        agreement.delete()
        messages.success(request, _("Agreement deleted, with %(n)d annex(es).") % {"n": n_annexes})
        return redirect("costs:agreements")
    return render(
        request,
        "costs/confirm_delete.html",
        {"object": agreement, "refused": refused, "goes": goes, "cancel": agreement, "what": _("agreement")},
        status=409 if refused and request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def annex_edit(request: HttpRequest, agreement_pk: int, pk: int | None = None) -> HttpResponse:
    agreement = get_object_or_404(Agreement, pk=agreement_pk)
    annex = get_object_or_404(Annex, pk=pk, agreement=agreement) if pk else Annex(agreement=agreement)
    form = AnnexForm(request.POST or None, instance=annex)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            _("Annex saved; the agreement's terms follow it from %(day)s.") % {"day": annex.effective_on},
        )
        return redirect("costs:agreement", pk=agreement.pk)
    return render(
        request,
        "costs/form.html",
        {
            "form": form,
            "title": (_("Edit annex to %(a)s") if pk else _("New annex to %(a)s")) % {"a": agreement.title},
            "intro": _("Leave a field empty to keep the agreement's term as it is."),
            "cancel": agreement.get_absolute_url(),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def annex_delete(request: HttpRequest, agreement_pk: int, pk: int) -> HttpResponse:
    annex = get_object_or_404(Annex, pk=pk, agreement_id=agreement_pk)
    if request.method == "POST":
        annex.delete()
        messages.success(request, _("Annex deleted; the agreement's terms no longer include it."))
        return redirect("costs:agreement", pk=agreement_pk)
    return render(
        request,
        "costs/confirm_delete.html",
        {"object": annex, "refused": [], "goes": [], "cancel": annex.agreement, "what": _("annex")},
    )
