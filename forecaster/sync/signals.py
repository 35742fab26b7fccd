"""The sync app's signal, and clean-ups the database cannot do by itself.

``invoices_changed`` is sent inside the transaction that changed a system's held invoices, with
``system_id`` and the invoice dates and dates paid the change touched (``days``, ``paid_days``;
``None``: any day). The reports app keeps its daily aggregates with it, in the same
transaction, so a report never disagrees with the invoices held; the sync app does not import
the apps above it.

Staged rows belong to a system only through its runs (``StagedInvoice.stage`` is a run's key, not
a foreign key), so deleting a system would leave its stage behind; this removes it with the
system.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import Signal, receiver

from forecaster.sync.models import StagedInvoice, SyncRun
from forecaster.systems.models import AccountingSystem

invoices_changed = Signal()  # system_id, days, paid_days


@receiver(pre_delete, sender=AccountingSystem, dispatch_uid="sync-drop-stage-with-system")
def drop_stage_with_system(sender: object, instance: AccountingSystem, **kwargs: Any) -> None:
    runs = SyncRun.objects.filter(system_id=instance.pk)
    StagedInvoice.objects.filter(
        Q(stage__in=runs.exclude(stage=None).values("stage")) | Q(stage__in=runs.values("id"))
    ).delete()
