"""The forecasts app's own tables."""

from __future__ import annotations

from django.db import models

from forecaster.systems.models import AccountingSystem


class FittedRevenue(models.Model):
    """A system's revenue forecast as fitted on one day, so pages need not refit the model.

    ``fingerprint`` is a hash of the monthly history the fit used: a sync that changes the
    history makes it stale the same day. ``payload`` holds the forecast and its backtest as
    two-decimal strings (see ``forecaster.forecasts.history``).
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    made_on = models.DateField()
    fingerprint = models.CharField(max_length=64)
    payload = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "made_on"], name="fitted_revenue_unique"),
        ]

    def __str__(self) -> str:
        return f"revenue forecast of system {self.system_id} on {self.made_on}"
