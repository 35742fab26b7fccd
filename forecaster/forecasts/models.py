"""The forecasts app's own tables."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from forecaster.costs.models import Agreement, Commitment, currency_code
from forecaster.systems.models import AccountingSystem


class FittedRevenue(models.Model):
    """A system's revenue forecast as last fitted, so pages need not refit the model.

    ``fingerprint`` is a hash of the monthly history the fit used (and the month it ends in): the
    fit is reused until a sync or a closing month changes the history, and refitted then (in the
    background after a sync, by the daily scheduler when a month closes). ``made_on``: when.
    ``payload`` holds the forecast and its backtest as
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


class Scenario(models.Model):
    """A named set of what-ifs applied to the outlook (see ``forecaster.forecasts.outlook``)."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        help_text=_("A short name, e.g. 'Lose a tenth of the clients'."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("What this scenario assumes (optional).")
    )
    revenue_growth_pct = models.DecimalField(
        _("revenue growth per year (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-100"))],
        help_text=_("Change of revenue over a year, ramped month by month; negative for churn, e.g. -10."),
    )
    cost_inflation_pct = models.DecimalField(
        _("cost inflation per year (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-100"))],
        help_text=_("Change of scheduled and estimated costs over a year, ramped month by month."),
    )
    fx_shifts = models.JSONField(
        _("exchange-rate shifts"),
        default=dict,
        blank=True,
        help_text=_("Per currency, the change of its rate against the base currency, in percent."),
    )
    cancel = models.ManyToManyField(
        Commitment,
        blank=True,
        related_name="+",
        verbose_name=_("cancel at the next cancel-by date"),
        help_text=_("These commitments end with the term their next cancel-by date ends."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("scenario")

    def __str__(self) -> str:
        return self.name


class ScenarioCommitment(models.Model):
    """A commitment that exists only in a scenario: an amount per month from a date on."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="additions")
    name = models.CharField(_("name"), max_length=200, help_text=_("What would be paid for, e.g. 'New PoP'."))
    amount = models.DecimalField(
        _("amount per month"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Net cost per month in the currency below."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        validators=[currency_code],
        help_text=_("Three-letter code, e.g. EUR."),
    )
    starts_on = models.DateField(_("from"), help_text=_("The first month it costs."))
    ends_on = models.DateField(
        _("until"),
        null=True,
        blank=True,
        help_text=_("The last month it costs; empty: to the end of the outlook."),
    )

    class Meta:
        ordering = ["starts_on", "id"]

    def __str__(self) -> str:
        return self.name


class DeadlineSettings(models.Model):
    """How many days before an agreement's cancel-by date (or expiry) the alert goes out."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="+")
    alert_days = models.PositiveIntegerField(
        _("alert days before"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Days before the cancel-by date (or the expiry) to send the alert."),
    )

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.alert_days} days"


class Alert(models.Model):
    """One alert, sent once. ``key`` names what it is about (kind, object, date), so the same
    alert can never be recorded twice; ``claimed_by`` and ``sent_at`` make sending exactly-once
    across workers (see ``forecaster.forecasts.alerts``)."""

    class Kind(models.TextChoices):
        CANCEL_BY = "cancel_by", _("cancel-by date ahead")
        EXPIRY = "expiry", _("expiry ahead")
        MISSING_COST = "missing_cost", _("expected cost missing")
        SYNC_FAILED = "sync_failed", _("sync failing for two days")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    about_date = models.DateField(help_text=_("The date the alert is about."))
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class CalendarFeed(models.Model):
    """A user's secret iCalendar URL. Only the token's SHA-256 is kept; revoking ends it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"


class Snapshot(models.Model):
    """The forecast of a month as made at its start, kept to compare with the actual once the
    month has closed. ``line`` is ``revenue:<system id>``, ``revenue:total`` or ``costs:total``."""

    month = models.DateField()
    line = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    made_on = models.DateField()
    method = models.CharField(max_length=40)
    point = models.DecimalField(max_digits=16, decimal_places=2)
    lower = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    upper = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-month", "line"]
        constraints = [models.UniqueConstraint(fields=["month", "line"], name="forecast_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.line} {self.month}: {self.point}"


class DailyJob(models.Model):
    """A row per job and day: inserting it is how one scheduler (of several) claims the day."""

    name = models.CharField(max_length=40)
    day = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="forecast_daily_job_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
