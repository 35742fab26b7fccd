"""Reports' own table: the maintained revenue aggregates. (The exchange-rate and base-currency
settings live in ``forecaster.currency``, the API tokens in ``forecaster.accounts``.)"""

from __future__ import annotations

from django.db import models

from forecaster.systems.models import AccountingSystem


class DailyRevenue(models.Model):
    """Paid revenue of one system on one day, in the base currency (sums of rounded amounts).

    Maintained by ``forecaster.reports.aggregates.refresh`` in the same transaction as every
    change to the invoices, so a report never disagrees with the invoices held.
    ``basis`` is ``invoice`` (dated by the invoice date) or ``paid`` (by the date paid).
    ``net``/``tax`` and ``net_cents``/``tax_cents`` hold the same amounts; reports sum the
    integer cents, which is exact in SQL on every engine (SQLite sums decimals as floats).
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(max_length=8)
    day = models.DateField()
    invoices = models.PositiveIntegerField()
    net = models.DecimalField(max_digits=20, decimal_places=2)
    tax = models.DecimalField(max_digits=20, decimal_places=2)
    net_cents = models.BigIntegerField(default=0)
    tax_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "basis", "day"], name="daily_revenue_unique"),
        ]
        indexes = [models.Index(fields=["basis", "day"], name="daily_revenue_basis_day")]

    def __str__(self) -> str:
        return f"{self.system_id} {self.basis} {self.day}: {self.invoices} invoices"
