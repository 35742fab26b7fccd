"""Thin web adapters over the sync engine: start a job, poll its progress, read the history."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.sync.engine import AlreadyRunning
from forecaster.sync.engine.claims import active_run
from forecaster.sync.engine.heartbeat import request_cancel
from forecaster.sync.models import SyncRun
from forecaster.sync.tasks import start_sync
from forecaster.systems.models import AccountingSystem

# The htmx event a page hears when the run it showed has ended (systems/_panel.html listens).
SYNC_FINISHED = "sync-finished"


@require_POST
@admin_required
def start(request: HttpRequest, system_id: int) -> HttpResponse:
    """Queue a Sync (``mode=incremental``) or a Full sync (``mode=full``) of one system."""
    system = get_object_or_404(AccountingSystem, pk=system_id)
    mode = request.POST.get("mode", SyncRun.Mode.INCREMENTAL)
    if mode not in SyncRun.Mode.values:
        return HttpResponse(_("Unknown sync mode."), status=400)
    try:
        start_sync(system, mode, SyncRun.Trigger.USER)
        text = _("%(mode)s of %(system)s started.") % {
            "mode": SyncRun.Mode(mode).label,
            "system": system.name,
        }
        level = messages.SUCCESS
    except AlreadyRunning:
        text, level = (
            _("A sync of %(system)s is already running.") % {"system": system.name},
            messages.WARNING,
        )
    return _answer(request, system, text, level)


@require_POST
@admin_required
def cancel(request: HttpRequest, system_id: int) -> HttpResponse:
    """The Cancel button: the running sync stops after its current step, interrupted and
    resumable (a queued one at once)."""
    system = get_object_or_404(AccountingSystem, pk=system_id)
    run = active_run(system)
    if run is not None and request_cancel(run):
        text, level = (
            _(
                "Cancelling the sync of %(system)s: it stops after its current step; a later Full sync "
                "continues from there."
            )
            % {"system": system.name},
            messages.SUCCESS,
        )
    else:
        text, level = _("No sync of %(system)s is running.") % {"system": system.name}, messages.INFO
    return _answer(request, system, text, level)


def _answer(request: HttpRequest, system: AccountingSystem, text: str, level: int) -> HttpResponse:
    """The controls fragment with ``text`` for htmx; otherwise a message and a redirect back."""
    if request.headers.get("HX-Request"):
        return render(
            request,
            "sync/_controls.html",
            {
                "system": system,
                "notice": text,
                "compact": bool(request.POST.get("compact")),
            },
        )
    messages.add_message(request, level, text)
    target = request.POST.get("next") or request.headers.get("referer") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ""
    return redirect(target or "sync:system_history", *([] if target else [system.pk]))


@require_GET
def controls(request: HttpRequest, system_id: int) -> HttpResponse:
    """The buttons/progress fragment, polled by htmx while a sync runs."""
    system = get_object_or_404(AccountingSystem, pk=system_id)
    response = render(
        request,
        "sync/_controls.html",
        {
            "system": system,
            "compact": bool(request.GET.get("compact")),
        },
    )
    if request.headers.get("HX-Request") and active_run(system) is None:
        # Only a page showing a run polls: the run has ended, so the parts of the page that
        # depend on it (the system's invoices held, last sync) refresh themselves.
        response["HX-Trigger"] = SYNC_FINISHED
    return response


@require_GET
def history(request: HttpRequest, system_id: int | None = None) -> HttpResponse:
    """Sync runs, newest first: of one system, or of all."""
    system = get_object_or_404(AccountingSystem, pk=system_id) if system_id else None
    runs = SyncRun.objects.select_related("system")
    if system is not None:
        runs = runs.filter(system=system)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(request, "sync/history.html", {"system": system, "runs": page, "page": page})
