"""The currency settings: the base currency (one row) and each system's exchange rates.

The tables were created by the reports app and keep their names (``reports_…``); the models
moved here with state-only migrations.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, e.g. EUR."))


class RateSource(models.TextChoices):
    FIXED = "fixed", _("Fixed rates (the system's exchange rate and the per-currency rates below)")
    ECB = "ecb", _("ECB daily reference rates on each invoice date (per-currency rates still win)")


class SystemRatePolicy(models.Model):
    """Where a system's exchange rates come from. No row means ``fixed``."""

    system = models.OneToOneField("systems.AccountingSystem", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8, choices=RateSource.choices, default=RateSource.FIXED)

    class Meta:
        db_table = "reports_systemratepolicy"

    def __str__(self) -> str:
        return f"{self.system_id}: {self.source}"


class SystemCurrencyRate(models.Model):
    """A fixed rate for one invoice currency of one system: amount × rate = base currency."""

    system = models.ForeignKey("systems.AccountingSystem", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3, validators=[currency_code])
    rate = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Amounts in this currency × rate = amounts in the base currency."),
    )

    class Meta:
        db_table = "reports_systemcurrencyrate"
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["system", "currency"], name="system_currency_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id} {self.currency} × {self.rate}"


class SiteSettings(models.Model):
    """Settings an administrator changes in the web UI (a single row, ``pk=1``).

    ``base_currency`` is the currency the administrator chose; ``converted_currency`` the one
    the amounts already held were converted into, while they still differ (a change of base
    currency that has not re-converted them yet). See :func:`forecaster.currency.base.base_currency`.
    """

    base_currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_code],
        help_text=_("The currency reports are in. Empty: FORECASTER_CURRENCY from the environment."),
    )
    converted_currency = models.CharField(
        max_length=3,
        blank=True,
        editable=False,
        help_text=_(
            "The currency the amounts already held are in, until they are re-converted into the "
            "base currency. Empty: the base currency."
        ),
    )

    class Meta:
        db_table = "reports_sitesettings"

    def __str__(self) -> str:
        return f"site settings ({self.base_currency or settings.BASE_CURRENCY})"

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
