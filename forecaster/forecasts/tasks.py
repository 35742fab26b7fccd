"""Background jobs of the forecasts app (django-tasks; the worker ``forecaster serve`` starts runs
them). The payload is a system id, never data.

After a sync changed a system's invoices (``forecaster.sync.signals.invoices_changed``, once the
transaction has committed), its revenue model is refitted here, so the next outlook or forecast
page reads a kept fit instead of waiting for one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)


@task()
def refit_revenue(system_id: int) -> dict:
    """Refit ``system_id``'s revenue model if its history changed since the kept fit."""
    from forecaster.forecasts.history import refit
    from forecaster.systems.models import AccountingSystem

    if not AccountingSystem.objects.filter(pk=system_id).exists():
        return {"system": system_id, "refitted": False}
    return {"system": system_id, "refitted": refit(system_id, timezone.localdate())}


def on_invoices_changed(sender: object, system_id: int, **kwargs: Any) -> None:
    """Receiver of ``invoices_changed``: queue the refit once the change is committed."""
    transaction.on_commit(lambda: _enqueue(system_id))


def _enqueue(system_id: int) -> None:
    try:
        refit_revenue.enqueue(system_id)
    except Exception:
        # The page fits on its next view instead; nothing is lost.
        log.exception("could not queue the revenue refit of system %s", system_id)
