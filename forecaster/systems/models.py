"""Accounting systems: one row per connected WHMCS (or future type) installation."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from forecaster.lib.crypto import SecretBox
from forecaster.systems.registry import SystemType


class AccountingSystem(models.Model):
    """A connection to one accounting system, with its sync settings and last sync state."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(
        max_length=32, default="whmcs", help_text=_("The accounting-system type (registry key).")
    )
    name = models.CharField(
        max_length=100,
        unique=True,
        help_text=_("A short name you recognise, e.g. the brand or country of this WHMCS."),
    )
    description = models.TextField(blank=True, help_text=_("Optional notes for your colleagues."))
    url = models.URLField(
        max_length=500,
        help_text=_("The API address of the WHMCS system: https://your-whmcs.example/includes/api.php"),
    )
    identifier = models.CharField(
        max_length=200, help_text=_("The API credential's Identifier (WHMCS: Manage API Credentials).")
    )
    # AES-GCM token bound to this row's uuid; never rendered, logged or returned.
    secret_ciphertext = models.TextField(blank=True, editable=False)
    step = models.PositiveIntegerField(
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Number of invoices fetched per sync step (one API request each), 1–1000."),
    )
    parallel_requests = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
        help_text=_(
            "How many pages a full sync asks WHMCS for at once, 1–8 (default 2). More is faster "
            "across a slow network, but each request in flight is work for the WHMCS server."
        ),
    )
    auto_sync = models.BooleanField(
        default=False, help_text=_("Synchronize this system automatically once a day.")
    )
    exchange_rate = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        default=Decimal("1"),
        help_text=_("Amounts × rate = base currency. Set 1 when WHMCS bills in the base currency."),
    )
    refunds_restate = models.BooleanField(
        default=False,
        help_text=_(
            "Off (recommended): a refund or chargeback lowers the revenue of the period it "
            "happened in, so a closed month never changes. On: it lowers the revenue of the "
            "refunded invoice's own period, rewriting that month."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Sync state, maintained by forecaster.sync (shown in the list of systems).
    last_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_ok = models.BooleanField(null=True, editable=False)
    last_sync_message = models.CharField(max_length=500, blank=True, editable=False)
    last_full_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    remote_total = models.BigIntegerField(null=True, blank=True, editable=False)
    next_auto_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The API actions the WHMCS role allows, lower-case and comma-separated, as last learnt by
    # Test connection or a sync ("" = not known yet). See forecaster.sync.ledger.
    api_actions = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # --- the write-only secret -------------------------------------------------------------
    @property
    def _secret_context(self) -> str:
        return f"accounting-system:{self.uuid}:secret"

    def set_secret(self, plaintext: str) -> None:
        """Encrypt and keep ``plaintext`` (call ``save()`` afterwards)."""
        self.secret_ciphertext = SecretBox.from_settings().encrypt(plaintext, context=self._secret_context)

    def get_secret(self) -> str:
        """Decrypt the secret for an outbound call. Raises ``DecryptionError`` on a key change."""
        return SecretBox.from_settings().decrypt(self.secret_ciphertext, context=self._secret_context)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_ciphertext)

    @property
    def type(self) -> SystemType:
        from forecaster.systems.registry import get_type

        return get_type(self.kind)

    @property
    def type_label(self) -> str:
        """The type's name as users know it ("apiWHMCS"), or the raw key if unregistered."""
        try:
            return self.type.label
        except KeyError:
            return self.kind
