"""A document is one uploaded PDF: in the inbox until classified, then in the archive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    class Kind(models.TextChoices):
        INBOX = "inbox", _("Unclassified (inbox)")
        INVOICE = "invoice", _("Cost invoice")
        AGREEMENT = "agreement", _("Agreement")
        ANNEX = "annex", _("Annex")

    sha256 = models.CharField(
        _("SHA-256"), max_length=64, unique=True, help_text=_("Hash of the file's content.")
    )
    size = models.PositiveBigIntegerField(_("size in bytes"))
    original_name = models.CharField(
        _("file name"), max_length=255, help_text=_("The name it was uploaded with.")
    )
    path = models.CharField(_("archive path"), max_length=300, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INBOX)
    title = models.CharField(_("title"), max_length=300, blank=True, help_text=_("From the PDF's metadata."))
    pdf_date = models.DateField(
        _("PDF date"), null=True, blank=True, help_text=_("Creation date in the PDF.")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the document was classified as (at most one is set). Declared here, so the costs app
    # knows nothing of files; deleting the record sends the document back to the inbox
    # (forecaster.documents.signals).
    cost_invoice = models.OneToOneField(
        "costs.CostInvoice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="document",
        verbose_name=_("cost invoice"),
    )
    agreement = models.OneToOneField(
        "costs.Agreement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="document",
        verbose_name=_("agreement"),
    )
    annex = models.OneToOneField(
        "costs.Annex",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="document",
        verbose_name=_("annex"),
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title or self.original_name

    @property
    def record(self) -> models.Model | None:
        """The cost invoice, agreement or annex this document is, or ``None`` (inbox)."""
        return self.cost_invoice or self.agreement or self.annex
