"""Accounting Systems pages: list, create, details, edit, delete, test connection.

Thin adapters: validation lives in the type's form (shared with the CLI), the remote call in
the type's client. Everyone logged in may read; only administrators change anything.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.currency.base import base_currency
from forecaster.currency.models import RateSource, SystemRatePolicy
from forecaster.lib.display import count_text
from forecaster.systems import holdings, pending
from forecaster.systems.connection import check_connection
from forecaster.systems.forms import sends_in_clear
from forecaster.systems.models import AccountingSystem
from forecaster.systems.registry import SystemType, all_types, get_type


def _type_or_404(kind: str) -> SystemType:
    try:
        return get_type(kind)
    except KeyError:
        raise Http404(_("Unknown accounting-system type")) from None


def _invoices_held(system: AccountingSystem) -> int:
    return holdings.invoices_held(system.pk)


@require_http_methods(["GET", "HEAD"])
def system_list(request: HttpRequest) -> HttpResponse:
    """The list of systems with their sync state and the invoices held (one query for totals)."""
    totals = holdings.totals()
    systems = list(AccountingSystem.objects.defer("description", "secret_ciphertext"))
    rows = [(s, totals.get(s.pk)) for s in systems]
    return render(
        request,
        "systems/list.html",
        {
            "rows": rows,
            # Systems converting with ECB rates show that, not a fixed rate they no longer use.
            "ecb_systems": set(
                SystemRatePolicy.objects.filter(source=RateSource.ECB).values_list("system_id", flat=True)
            ),
            "types": all_types(),
            "base_currency": base_currency(),
            "revenue_notes": holdings.revenue_notes(systems),
        },
    )


@require_http_methods(["GET", "HEAD"])
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(AccountingSystem, pk=pk)
    try:
        stype = system.type
    except KeyError:
        stype = None
    return render(
        request,
        "systems/detail.html",
        {**_panel_context(system), "stype": stype, "plain_http": sends_in_clear(system.url)},
    )


@require_http_methods(["GET", "HEAD"])
def system_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The details table alone (htmx refreshes it when a sync ends)."""
    system = get_object_or_404(AccountingSystem, pk=pk)
    return render(request, "systems/_panel.html", _panel_context(system))


def _panel_context(system: AccountingSystem) -> dict:
    return {"system": system, "totals": holdings.totals().get(system.pk), "base_currency": base_currency()}


@sensitive_variables()
@sensitive_post_parameters("secret")
@admin_required
@require_http_methods(["GET", "POST"])
def system_create(request: HttpRequest, kind: str) -> HttpResponse:
    stype = _type_or_404(kind)
    target = f"create:{stype.key}"
    data = pending.with_held_secret(request, target) if request.method == "POST" else None
    form = stype.form_class(data, instance=AccountingSystem(kind=stype.key))
    if request.method == "POST" and form.is_valid():
        pending.forget(request)
        system, _reconverted = form.save_system(stype.key)
        messages.success(
            request,
            _("Saved “%(name)s”. Next: Test connection, then Full sync to import its invoices.")
            % {"name": system.name},
        )
        # The plain-http warning is a banner on the system's page (form.warnings: CLI only).
        return redirect("systems:detail", pk=system.pk)
    if request.method == "POST" and pending.hold(request, target, form):
        form.secret_held()
    return render(request, "systems/form.html", {"form": form, "stype": stype, "creating": True})


@sensitive_variables()
@sensitive_post_parameters("secret")
@admin_required
@require_http_methods(["GET", "POST"])
def system_edit(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(AccountingSystem, pk=pk)
    stype = _type_or_404(system.kind)
    held = _invoices_held(system)
    target = f"edit:{system.pk}"
    data = pending.with_held_secret(request, target) if request.method == "POST" else None
    form = stype.form_class(data, instance=system, invoices_held=held)
    if request.method == "POST" and form.is_valid():
        pending.forget(request)
        rate_changed = form.rate_changed
        system, reconverted = form.save_system(system.kind)
        messages.success(request, _("Saved “%(name)s”.") % {"name": system.name})
        if reconverted is not None:
            messages.success(
                request,
                ngettext(
                    "Re-converted %(count)s invoice already imported with the new rate.",
                    "Re-converted %(count)s invoices already imported with the new rate.",
                    reconverted,
                )
                % {"count": count_text(reconverted)},
            )
        elif rate_changed and held:
            messages.info(
                request,
                _(
                    "The new exchange rate applies to invoices synced from now on; the invoices "
                    "already imported keep the rate they were converted with."
                ),
            )
        return redirect("systems:detail", pk=system.pk)
    if request.method == "POST" and pending.hold(request, target, form):
        form.secret_held()
    return render(
        request,
        "systems/form.html",
        {
            "form": form,
            "stype": stype,
            "system": system,
            "creating": False,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def system_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (saying how many invoices go too); POST deletes."""
    system = get_object_or_404(AccountingSystem, pk=pk)
    held = _invoices_held(system)
    if request.method == "POST":
        name = system.name
        system.delete()
        messages.success(
            request,
            ngettext(
                "Deleted “%(name)s” and the %(count)s invoice held for it.",
                "Deleted “%(name)s” and the %(count)s invoices held for it.",
                held,
            )
            % {"name": name, "count": count_text(held)},
        )
        return redirect("systems:list")
    return render(request, "systems/confirm_delete.html", {"system": system, "held": held})


@admin_required
@require_POST
def system_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Test connection: one request, no retries; the diagnosis as an htmx fragment."""
    system = get_object_or_404(AccountingSystem, pk=pk)
    result = check_connection(system)
    if request.headers.get("HX-Request"):
        return render(request, "systems/_test_result.html", {"result": result, "system": system})
    level = messages.SUCCESS if result.ok else messages.ERROR
    messages.add_message(request, level, f"{result.message} {result.fix}".strip())
    return redirect(reverse("systems:detail", args=[system.pk]))
