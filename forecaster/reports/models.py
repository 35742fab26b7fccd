"""Reports' own tables: maintained revenue aggregates, exchange-rate settings, site settings
and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from forecaster.systems.models import AccountingSystem

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, e.g. EUR."))


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


class RateSource(models.TextChoices):
    FIXED = "fixed", _("Fixed rates (the system's exchange rate and the per-currency rates below)")
    ECB = "ecb", _("ECB daily reference rates on each invoice date (per-currency rates still win)")


class SystemRatePolicy(models.Model):
    """Where a system's exchange rates come from. No row means ``fixed``."""

    system = models.OneToOneField(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8, choices=RateSource.choices, default=RateSource.FIXED)

    def __str__(self) -> str:
        return f"{self.system_id}: {self.source}"


class SystemCurrencyRate(models.Model):
    """A fixed rate for one invoice currency of one system: amount × rate = base currency."""

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3, validators=[currency_code])
    rate = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Amounts in this currency × rate = amounts in the base currency."),
    )

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["system", "currency"], name="system_currency_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id} {self.currency} × {self.rate}"


class SiteSettings(models.Model):
    """Settings an administrator changes in the web UI (a single row, ``pk=1``)."""

    base_currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_code],
        help_text=_("The currency reports are in. Empty: FORECASTER_CURRENCY from the environment."),
    )

    def __str__(self) -> str:
        return f"site settings ({self.base_currency or settings.BASE_CURRENCY})"

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


TOKEN_PREFIX = "fct_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the read-only JSON API. Only its SHA-256 is stored."""

    name = models.CharField(max_length=100, help_text=_("What uses this token, e.g. 'BI dashboard'."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text=_("The token's first characters."))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, name: str, user=None) -> tuple[ApiToken, str]:
        """Create a token; returns ``(row, plaintext)``. The plaintext is never stored."""
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(
            name=name, token_hash=hash_token(plaintext), hint=plaintext[:8], created_by=user
        )
        return row, plaintext

    @property
    def active(self) -> bool:
        return self.revoked_at is None
