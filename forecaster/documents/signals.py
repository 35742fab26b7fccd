"""Deleting a cost invoice, agreement or annex (from the costs pages) sends its PDF back to the
inbox once the deletion is committed, so no document is left filed under a record that is gone."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from forecaster.documents.models import Document
from forecaster.documents.services import KIND_FIELD


def _on_record_deleted(sender: object, instance: object, **kwargs: Any) -> None:
    field = {"CostInvoice": "cost_invoice", "Agreement": "agreement", "Annex": "annex"}[sender.__name__]
    assert field in KIND_FIELD.values()
    for pk in Document.objects.filter(**{field: instance.pk}).values_list("pk", flat=True):
        from forecaster.documents.services import return_to_inbox

        transaction.on_commit(lambda pk=pk: return_to_inbox(pk))


def connect() -> None:
    from forecaster.costs.models import Agreement, Annex, CostInvoice

    for model in (CostInvoice, Agreement, Annex):
        receiver(pre_delete, sender=model, dispatch_uid=f"documents-{model.__name__}")(_on_record_deleted)
