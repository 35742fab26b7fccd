"""Keep ``forecaster.costs.aggregates`` in step with every change to cost invoices; tell the apps
above costs that the demo data was loaded (``demo_loaded``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal, receiver

from forecaster.costs import aggregates
from forecaster.costs.models import Commitment, CostInvoice, Tag

# Sent by ``forecaster demo`` inside its transaction, with ``today`` and ``commitments`` (the demo's
# commitments by role: "colocation", "transit", "licences", "rent"). An app above costs adds its own
# demo data; a receiver returns how many saved scenarios it added.
demo_loaded = Signal()


@receiver(pre_save, sender=CostInvoice)
def _remember_old_day(sender: object, instance: CostInvoice, **kwargs: Any) -> None:
    instance._old_day = (
        CostInvoice.objects.filter(pk=instance.pk).values_list("document_date", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=CostInvoice)
def _saved(sender: object, instance: CostInvoice, **kwargs: Any) -> None:
    aggregates.refresh_days([getattr(instance, "_old_day", None), instance.document_date])


@receiver(post_delete, sender=CostInvoice)
def _deleted(sender: object, instance: CostInvoice, **kwargs: Any) -> None:
    aggregates.refresh_days([instance.document_date])


@receiver(m2m_changed, sender=CostInvoice.tags.through)
def _retagged(sender: object, instance: object, action: str, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if isinstance(instance, CostInvoice):
        if action != "pre_clear":
            aggregates.refresh_days([instance.document_date])
    elif isinstance(instance, Tag):
        if action == "pre_clear":  # the invoices losing this tag are known only before
            instance._days = list(instance.cost_invoices.values_list("document_date", flat=True))
            return
        pks = kwargs.get("pk_set") or []
        days = list(CostInvoice.objects.filter(pk__in=pks).values_list("document_date", flat=True))
        aggregates.refresh_days(days + getattr(instance, "_days", []))


@receiver(pre_delete, sender=Commitment)
def _commitment_going(sender: object, instance: Commitment, **kwargs: Any) -> None:
    # Its invoices are kept with an empty commitment (SET_NULL, a plain UPDATE without signals).
    instance._days = list(instance.cost_invoices.values_list("document_date", flat=True).distinct())


@receiver(post_delete, sender=Commitment)
def _commitment_gone(sender: object, instance: Commitment, **kwargs: Any) -> None:
    aggregates.refresh_days(getattr(instance, "_days", []))
