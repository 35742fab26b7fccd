"""Classify an inbox document with the costs app's own forms, pre-filled from the PDF.

The forms (and so every validation rule) are the costs app's: a cost invoice, an agreement or an
annex is the same record whether it is typed in on the costs pages or made from a document.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.db import IntegrityError, models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from forecaster.accounts.roles import admin_required
from forecaster.documents import services
from forecaster.documents.models import Document
from forecaster.documents.storage import StorageError

KINDS = (Document.Kind.INVOICE, Document.Kind.AGREEMENT, Document.Kind.ANNEX)


def form_class(kind: str) -> type[forms.ModelForm]:
    """The costs app's form for ``kind``."""
    from forecaster.costs import forms as cost_forms

    return {
        Document.Kind.INVOICE: cost_forms.CostInvoiceForm,
        Document.Kind.AGREEMENT: cost_forms.AgreementForm,
        Document.Kind.ANNEX: cost_forms.AnnexForm,
    }[kind]


class AnnexAgreementForm(forms.Form):
    """Which agreement an annex changes (the annex form itself leaves that to its URL)."""

    agreement = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("agreement"),
        help_text=gettext_lazy("The agreement this annex changes."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from forecaster.costs.models import Agreement

        self.fields["agreement"].queryset = Agreement.objects.select_related("counterparty")


_NUMBER = re.compile(r"(?=[^\d]*\d)[\w/.-]+")


def guess_number(title: str) -> str:
    """An invoice number from a PDF title like "Invoice FV/12/2025" → "FV/12/2025" ("" if none)."""
    for token in reversed(title.split()):
        if _NUMBER.fullmatch(token) and len(token) <= 100:
            return token
    return ""


def initial_for(doc: Document, kind: str, request: HttpRequest) -> dict:
    """What the PDF's metadata (and the page that sent us) can fill in."""
    day = doc.pdf_date
    initial: dict = {}
    if kind == Document.Kind.INVOICE:
        initial = {
            "document_date": day,
            "receipt_date": doc.uploaded_at.date(),
            "number": guess_number(doc.title),
        }
    elif kind == Document.Kind.AGREEMENT:
        initial = {"title": doc.title[:200], "concluded_on": day, "starts_on": day}
    else:
        initial = {"concluded_on": day, "effective_on": day, "number": guess_number(doc.title)}
    for name in ("counterparty", "commitment"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    return {k: v for k, v in initial.items() if v not in (None, "")}


def record_url(record: models.Model) -> str:
    try:
        return record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
    except NoReverseMatch:
        return ""


def _file(request: HttpRequest, doc: Document, kind: str, form: forms.ModelForm) -> bool:
    """File ``doc`` as the valid ``form``'s record; True when done or refused for good (the
    page goes back to the document), False when the form should be shown again."""
    record = form.save(commit=False)
    try:
        saved = services.classify(doc, kind, record, save=form.save)
    except services.Refused as exc:
        messages.error(request, str(exc))
        return True
    except StorageError as exc:
        messages.error(request, _("Not filed: %(why)s Nothing was changed.") % {"why": exc})
    except IntegrityError:
        messages.error(request, _("Not filed: the record conflicts with an existing one."))
    else:
        messages.success(
            request,
            _("Filed as %(kind)s “%(record)s”.") % {"kind": doc.get_kind_display().lower(), "record": saved},
        )
        return True
    return False


@require_http_methods(["GET", "POST"])
@admin_required
def classify(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    doc = get_object_or_404(Document, pk=pk)
    if kind not in KINDS:
        return redirect("documents:detail", pk=doc.pk)
    if doc.kind != Document.Kind.INBOX:
        messages.error(
            request, _("This document is already filed as %(kind)s.") % {"kind": doc.get_kind_display()}
        )
        return redirect("documents:detail", pk=doc.pk)
    Form = form_class(kind)
    data = request.POST if request.method == "POST" else None
    link = AnnexAgreementForm(data, prefix="link") if kind == Document.Kind.ANNEX else None
    if link is not None and data is None and request.GET.get("agreement", "").isdigit():
        link = AnnexAgreementForm(initial={"agreement": request.GET["agreement"]}, prefix="link")
    form = Form(data, initial=initial_for(doc, kind, request))
    if request.method == "POST":
        link_ok = link is None or link.is_valid()
        if link_ok and link is not None:
            form.instance.agreement = link.cleaned_data["agreement"]
        if link_ok and form.is_valid() and _file(request, doc, kind, form):
            return redirect("documents:detail", pk=doc.pk)
    return render(
        request,
        "documents/classify.html",
        {
            "doc": doc,
            "kind": kind,
            "kind_label": Document.Kind(kind).label,
            "form": form,
            "link": link,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@admin_required
def unmap(request: HttpRequest, pk: int) -> HttpResponse:
    doc = get_object_or_404(Document, pk=pk)
    try:
        services.unmap(doc)
    except services.Refused as exc:
        messages.error(request, str(exc))
    except StorageError as exc:
        messages.error(request, _("Not moved: %(why)s Nothing was changed.") % {"why": exc})
    else:
        messages.success(request, _("“%(name)s” is back in the inbox.") % {"name": doc})
    return redirect("documents:detail", pk=doc.pk)
