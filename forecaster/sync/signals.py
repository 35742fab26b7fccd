"""Clean-ups the database cannot do by itself.

Staged rows belong to a system only through its runs (``StagedInvoice.stage`` is a run's key, not
a foreign key), so deleting a system would leave its stage behind; this removes it with the
system.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from forecaster.sync.models import StagedInvoice, SyncRun
from forecaster.systems.models import AccountingSystem


@receiver(pre_delete, sender=AccountingSystem, dispatch_uid="sync-drop-stage-with-system")
def drop_stage_with_system(sender, instance: AccountingSystem, **kwargs) -> None:
    runs = SyncRun.objects.filter(system_id=instance.pk)
    StagedInvoice.objects.filter(
        Q(stage__in=runs.exclude(stage=None).values("stage")) | Q(stage__in=runs.values("id"))
    ).delete()
