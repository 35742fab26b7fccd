"""Document pages: the inbox, upload (single and bulk), preview/download, delete.

Thin adapters over :mod:`forecaster.documents.services`. Everyone logged in reads and
downloads; only administrators change anything, always by POST with the CSRF token.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.documents import services
from forecaster.documents.models import Document
from forecaster.documents.storage import StorageError

KINDS = [k.value for k in Document.Kind]


@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or Document.Kind.INBOX
    if kind not in [*KINDS, "all"]:
        kind = Document.Kind.INBOX
    docs = Document.objects.all() if kind == "all" else Document.objects.filter(kind=kind)
    counts = {k: Document.objects.filter(kind=k).count() for k in KINDS}
    tabs = [(k, label, counts[k]) for k, label in Document.Kind.choices]
    return render(
        request,
        "documents/list.html",
        {
            "docs": docs.select_related("uploaded_by")[:500],
            "kind": kind,
            "tabs": tabs,
            "max_mb": settings.DOCUMENTS_MAX_MB,
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest) -> str | None:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return None


def _counterparty_query(request: HttpRequest) -> str:
    party = request.POST.get("counterparty") or request.GET.get("counterparty") or ""
    return f"?counterparty={party}" if party.isdigit() else ""


@require_http_methods(["GET", "POST"])
@admin_required
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload page. POST ``files`` (one or many): each into the inbox.

    With ``Accept: application/json`` (the page's script, one file per request for progress)
    the answer is ``{"results": [{"name", "ok", "message", "url"}]}``; status 200 when every
    file was stored, 400 when any was refused, 503 when the storage failed.
    """
    if request.method == "GET":
        return render(
            request,
            "documents/upload.html",
            {
                "max_mb": settings.DOCUMENTS_MAX_MB,
                "next": _safe_next(request) or "",
                "counterparty": _counterparty_query(request)[len("?counterparty=") :],
            },
        )
    files = request.FILES.getlist("files")
    if not files:
        message = _("Choose one or more PDF files first.")
        if _wants_json(request):
            return JsonResponse({"results": [], "error": message}, status=400)
        messages.error(request, message)
        return redirect("documents:upload")
    results = []
    status = 200
    for upload_file in files:
        try:
            doc = services.ingest(upload_file, upload_file.name, user=request.user)
        except services.UploadRefused as exc:
            status = max(status, 400)
            existing = exc.existing
            results.append(
                {
                    "name": upload_file.name,
                    "ok": False,
                    "reason": exc.reason,
                    "message": exc.message,
                    "url": reverse("documents:detail", args=[existing.pk]) if existing else "",
                }
            )
        except StorageError as exc:
            status = 503
            results.append(
                {
                    "name": upload_file.name,
                    "ok": False,
                    "reason": "storage",
                    "message": _("Not stored: %(why)s Nothing was kept; try again later.") % {"why": exc},
                    "url": "",
                }
            )
        else:
            results.append(
                {
                    "name": upload_file.name,
                    "ok": True,
                    "reason": "",
                    "message": _("Stored in the inbox."),
                    "url": reverse("documents:detail", args=[doc.pk]) + _counterparty_query(request),
                }
            )
    if _wants_json(request):
        return JsonResponse({"results": results}, status=status)
    if len(results) == 1 and results[0]["ok"] and _counterparty_query(request):
        # One PDF sent from a counterparty's page: straight on to filing it for them.
        return redirect(results[0]["url"])
    return render(
        request,
        "documents/upload.html",
        {"max_mb": settings.DOCUMENTS_MAX_MB, "results": results, "next": _safe_next(request) or ""},
        status=status,
    )


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    from forecaster.documents.classify import record_url

    doc = get_object_or_404(
        Document.objects.select_related("uploaded_by", "cost_invoice", "agreement", "annex"), pk=pk
    )
    record = doc.record
    return render(
        request,
        "documents/detail.html",
        {"doc": doc, "record": record, "record_url": record_url(record) if record else ""},
    )


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")


@require_GET
@xframe_options_sameorigin  # our own preview frame shows it; no other site may frame it
def file(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF itself, after the login check every page has.

    Served as ``application/pdf`` (never sniffed: ``X-Content-Type-Options: nosniff``), inline
    for the browser's own PDF viewer, or as an attachment with ``?download=1``. The content was
    checked to be a PDF at upload, so it cannot be served as a page that runs scripts.
    """
    doc = get_object_or_404(Document, pk=pk)
    try:
        fh = services.open_file(doc)
    except FileNotFoundError:
        raise Http404(_("The file of this document is missing from the archive.")) from None
    except StorageError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    filename = _UNSAFE_FILENAME.sub("_", doc.original_name)
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    response = FileResponse(
        fh,
        content_type="application/pdf",
        as_attachment=request.GET.get("download") == "1",
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Its own policy (the site-wide one forbids framing and plugins): nothing may load from the
    # PDF, only our own pages may frame it, and the browser's PDF viewer may show it.
    response["Content-Security-Policy"] = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
    return response


@require_POST
@admin_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    doc = get_object_or_404(Document, pk=pk)
    blocker = services.dependents(doc)
    if blocker:
        messages.error(request, _("Not deleted: %(what)s.") % {"what": blocker})
        return redirect("documents:detail", pk=doc.pk)
    try:
        services.delete(doc)
    except StorageError as exc:
        messages.error(request, _("Not deleted: %(why)s") % {"why": exc})
        return redirect("documents:detail", pk=doc.pk)
    messages.success(request, _("“%(name)s” was deleted; its file is kept in raw/delete/.") % {"name": doc})
    return redirect(f"{reverse('documents:list')}?kind={doc.kind}")
