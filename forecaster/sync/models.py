"""The local copy of each system's invoices, and the history of sync runs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from forecaster.systems.models import AccountingSystem

PAID = "Paid"


class InvoiceFields(models.Model):
    """What is kept of one WHMCS invoice — the whitelist of product.md S5, nothing more."""

    number = models.CharField(max_length=100, blank=True, help_text=_("Invoice (FV) number."))
    date = models.DateField()
    date_paid = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, default=PAID)
    subtotal = models.DecimalField(max_digits=16, decimal_places=2)
    tax = models.DecimalField(max_digits=16, decimal_places=2)
    tax2 = models.DecimalField(max_digits=16, decimal_places=2)
    credit = models.DecimalField(max_digits=16, decimal_places=2)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    taxrate = models.DecimalField(max_digits=10, decimal_places=3)
    taxrate2 = models.DecimalField(max_digits=10, decimal_places=3)
    currency = models.CharField(max_length=8, blank=True)
    rate = models.DecimalField(max_digits=18, decimal_places=6)
    net_base = models.DecimalField(max_digits=16, decimal_places=2)
    tax_base = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        abstract = True


class Invoice(InvoiceFields):
    """One WHMCS invoice: numbers, dates and amounts only — never anything about the client.

    ``net_base`` and ``tax_base`` are the amounts converted into the base currency with
    ``rate`` (each rounded half-up to the cent); the original amounts and currency are kept
    so that a later rate change can be applied to history or not.
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="invoices")
    whmcs_id = models.BigIntegerField(help_text=_("The invoice id in the accounting system."))
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "whmcs_id"], name="invoice_unique_per_system"),
        ]
        indexes = [
            models.Index(fields=["system", "status", "date"], name="invoice_sys_status_date"),
            # Refreshing the paid-date aggregates after a cheap sync reads a few days by
            # date paid; without this it would scan every invoice of the system.
            models.Index(fields=["system", "status", "date_paid"], name="invoice_sys_status_paid"),
            models.Index(fields=["system", "currency"], name="invoice_sys_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.whmcs_id}"


class SyncRun(models.Model):
    """One synchronization of one system: what was asked, how far it got, how it ended."""

    class Mode(models.TextChoices):
        FULL = "full", _("Full sync")
        INCREMENTAL = "incremental", _("Sync")

    class Trigger(models.TextChoices):
        USER = "user", _("User (web)")
        SCHEDULE = "schedule", _("Daily schedule")
        CLI = "cli", _("Command line")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="sync_runs")
    mode = models.CharField(max_length=16, choices=Mode.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    step = models.PositiveIntegerField(default=0, help_text=_("Steps done (k of n)."))
    steps_total = models.PositiveIntegerField(null=True, blank=True, help_text=_("n = ceil(total/Step)"))
    next_offset = models.PositiveBigIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    error_class = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # Added by the sync engine (0002): the fix to apply, what happened along the way, and the
    # checkpoint a full sync resumes from (see forecaster.sync.engine).
    error_fix = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    drift = models.PositiveIntegerField(
        default=0, help_text=_("Times the remote changed while paging and a page was re-read.")
    )
    remote_total = models.BigIntegerField(null=True, blank=True)
    first_total = models.BigIntegerField(null=True, blank=True)
    last_id = models.BigIntegerField(default=0, help_text=_("Highest WHMCS id staged so far."))
    stage = models.BigIntegerField(
        null=True, blank=True, help_text=_("Key of the staged rows this full sync writes/resumes.")
    )
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The process running the sync: a run whose process is gone on this host is stale at once,
    # without waiting for its heartbeat to age (a SIGKILLed CLI sync, a killed worker).
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    # Set by the Cancel button; the run stops at its next check (within seconds) as interrupted.
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # R11: the database itself refuses a second active run of one system.
            models.UniqueConstraint(
                fields=["system"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_sync_per_system",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} of {self.system_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class StagedInvoice(InvoiceFields):
    """A paid invoice read by a full sync that has not switched yet (one ``stage`` per sync).

    Reports never read this table: the switch copies a complete stage into ``Invoice`` in one
    transaction, so the previous figures stay in force until then.
    """

    stage = models.BigIntegerField()
    whmcs_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "whmcs_id"], name="staged_unique_per_stage"),
        ]

    def __str__(self) -> str:
        return f"stage {self.stage}: {self.whmcs_id}"


class QuarantinedRecord(models.Model):
    """A WHMCS record the sync could not read: its id and the reason — never its content."""

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="quarantine")
    whmcs_id = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.whmcs_id}: {self.error}"


class UnpaidInvoice(models.Model):
    """One Unpaid invoice already issued and due from the sync's month on: the pipeline the
    revenue forecast adds. Amounts, currency and dates only — no invoice id, number or client.

    A sync replaces a system's rows as a whole, so an invoice paid, cancelled or deleted in
    WHMCS leaves the pipeline with the next sync that reads it (see :class:`PipelineMark` for
    when a sync keeps the rows it holds). ``net_base`` is the subtotal in the
    base currency at the rate of the invoice date (the same money rule as a paid invoice).
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(help_text=_("Invoice date."))
    due_date = models.DateField(help_text=_("The date the invoice is due."))
    currency = models.CharField(max_length=8, blank=True)
    subtotal = models.DecimalField(max_digits=16, decimal_places=2)
    tax = models.DecimalField(max_digits=16, decimal_places=2)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    rate = models.DecimalField(max_digits=18, decimal_places=6)
    net_base = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["system", "due_date"], name="unpaid_sys_due")]

    def __str__(self) -> str:
        return f"{self.system_id}: due {self.due_date}"


class PipelineMark(models.Model):
    """What the last whole read of a system's pipeline saw first: the count of unpaid invoices
    the accounting system reported and a digest of its first page (the invoices due last).

    A sync whose paid invoices did not change, whose first page of unpaid invoices is the same
    page with the same count, and whose rates still give the held rows' rates keeps the rows
    it holds instead of paging the whole pipeline again (``forecaster.sync.engine.pipeline``).
    Only a digest is kept, never the page."""

    system = models.OneToOneField(
        AccountingSystem, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    since = models.DateField(help_text=_("The first due date the read kept."))
    size = models.PositiveIntegerField(help_text=_("Rows per request of the read."))
    total = models.BigIntegerField(help_text=_("Unpaid invoices the accounting system reported."))
    first_page = models.CharField(max_length=64, help_text=_("SHA-256 of the first page as read."))
    read_at = models.DateTimeField(help_text=_("When the pipeline was last read whole."))

    def __str__(self) -> str:
        return f"{self.system_id}: read {self.read_at:%Y-%m-%d %H:%M}"


# --- What WHMCS books beyond the paid invoices (forecaster.sync.ledger) -----------------------


class InvoiceKind(models.TextChoices):
    SALE = "sale", _("Sale")
    DEPOSIT = "deposit", _("Deposit (Add Funds)")
    MASS_PAYMENT = "mass_payment", _("Mass payment")


# Kinds that are not revenue: the money they bring pays other invoices, which count themselves.
NOT_REVENUE = (InvoiceKind.DEPOSIT, InvoiceKind.MASS_PAYMENT)


class InvoiceDetail(models.Model):
    """What GetInvoice told about one invoice's items, read once and kept (a paid invoice's
    items never change): only the kind it makes the invoice — never descriptions or ids."""

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    whmcs_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "whmcs_id"], name="invoice_detail_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.whmcs_id} {self.kind}"


class ReturnedInvoice(InvoiceFields):
    """An invoice that was paid and whose money went back (WHMCS status Refunded or
    Collections). It keeps counting in its own period; its refunds count negative in theirs.

    Held only when the role lets the sync see refunds (GetInvoice or GetTransactions);
    ``booked`` is set once its transactions are known, and only booked ones count.
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    whmcs_id = models.BigIntegerField()
    booked = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "whmcs_id"], name="returned_invoice_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.whmcs_id} ({self.status})"


class Refund(models.Model):
    """Money WHMCS paid back on a sale invoice (a refund or a chargeback): one transaction.

    ``amount`` is in the invoice's currency; ``net`` and ``tax`` split it in the invoice's own
    proportion (net half-up to the cent, tax = amount − net); ``net_base``/``tax_base`` are
    those converted with the invoice's rate. ``day`` is the refund's date; ``invoice_date`` and
    ``invoice_paid`` are the invoice's, for systems whose refunds restate the original month.
    """

    system = models.ForeignKey(AccountingSystem, on_delete=models.CASCADE, related_name="+")
    whmcs_id = models.BigIntegerField(help_text=_("The refunded invoice's id in WHMCS."))
    transaction_id = models.BigIntegerField()
    day = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    net = models.DecimalField(max_digits=16, decimal_places=2)
    tax = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=8, blank=True)
    rate = models.DecimalField(max_digits=18, decimal_places=6)
    net_base = models.DecimalField(max_digits=16, decimal_places=2)
    tax_base = models.DecimalField(max_digits=16, decimal_places=2)
    invoice_date = models.DateField()
    invoice_paid = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "transaction_id"], name="refund_unique"),
        ]
        indexes = [models.Index(fields=["system", "day"], name="refund_sys_day")]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.whmcs_id} −{self.amount} on {self.day}"


class UntaxedPaidCount(models.Model):
    """How many paid invoices without tax a system holds: any of them may be a deposit or a mass
    payment where its source cannot tell (the revenue notes say how many). Counted again in the
    transaction of every change to the system's held invoices that needs it (``invoices_changed``),
    so the pages that show the note do not count a million invoices per request; no row means
    "count it when first asked"."""

    system = models.OneToOneField(
        AccountingSystem, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    count = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.system_id}: {self.count}"
