"""Maintained aggregates that keep reports fast over millions of invoices."""

from __future__ import annotations

from django.db import models

from forecaster.systems.models import AccountingSystem


class DailyRevenue(models.Model):
    """Paid revenue of one system on one day, in the base currency (sums of rounded amounts).

    Maintained by ``forecaster.reports.aggregates.refresh`` in the same transaction as every
    change to the invoices, so a report never disagrees with the invoices held.
    ``basis`` is ``invoice`` (dated by the invoice date) or ``paid`` (by the date paid).
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(max_length=8)
    day = models.DateField()
    invoices = models.PositiveIntegerField()
    net = models.DecimalField(max_digits=20, decimal_places=2)
    tax = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "basis", "day"], name="daily_revenue_unique"),
        ]
        indexes = [models.Index(fields=["basis", "day"], name="daily_revenue_basis_day")]

    def __str__(self) -> str:
        return f"{self.system_id} {self.basis} {self.day}: {self.invoices} invoices"
