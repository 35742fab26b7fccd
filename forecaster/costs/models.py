"""The cost side: counterparties, agreements and their annexes, commitments, cost invoices.

Words as in the specification (commitments.md): a *counterparty* is a supplier the company
pays; an *agreement* is a contract with one, changed from a date on by *annexes*; a
*commitment* is an obligation to pay (optionally bound to an agreement) with an expected cost
schedule; a *cost invoice* is an invoice received, in its own currency, converted into the
base currency when saved (original amounts kept).

Contract terms are never stored per date: ``Agreement.terms_on(day)`` derives them from the
agreement and its annexes through :mod:`forecaster.costs.terms`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from forecaster.costs import terms as T

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, e.g. EUR."))
country_code = RegexValidator(r"^[A-Z]{2}$", _("Enter a two-letter country code, e.g. PL."))

_VAT_JUNK = re.compile(r"[^0-9A-Z]")


def normalise_vat_id(vat_id: str, country: str = "") -> str:
    """A VAT id reduced to what identifies it: upper case, no spaces, dots or dashes, and no
    leading country prefix when it equals ``country``.

    >>> normalise_vat_id("pl 123-456-32-18", "PL")
    '1234563218'
    """
    text = _VAT_JUNK.sub("", (vat_id or "").upper())
    country = (country or "").upper()
    if country and text.startswith(country) and len(text) > len(country):
        text = text[len(country) :]
    return text


def normalise_name(name: str) -> str:
    """A company name compared for duplicates: case- and whitespace-insensitive."""
    return " ".join((name or "").casefold().split())


class Counterparty(models.Model):
    """A supplier the company pays (a datacenter, a licence vendor, a landlord)."""

    company_name = models.CharField(
        _("company name"), max_length=200, help_text=_("The supplier's registered name.")
    )
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    vat_id = models.CharField(
        _("VAT id"),
        max_length=40,
        blank=True,
        help_text=_("Tax identification number as printed on invoices; spaces and dashes are ignored."),
    )
    vat_key = models.CharField(max_length=40, editable=False, blank=True, db_index=True)
    first_name = models.CharField(
        _("first name"), max_length=100, blank=True, help_text=_("Contact person's first name (optional).")
    )
    last_name = models.CharField(
        _("last name"), max_length=100, blank=True, help_text=_("Contact person's last name (optional).")
    )
    email = models.EmailField(
        _("e-mail"), blank=True, help_text=_("Where invoices and notices come from or go to (optional).")
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True, help_text=_("Phone number (optional)."))
    address = models.CharField(
        _("address"), max_length=200, blank=True, help_text=_("Street and number (optional).")
    )
    city = models.CharField(_("city"), max_length=100, blank=True, help_text=_("City (optional)."))
    region = models.CharField(
        _("region"), max_length=100, blank=True, help_text=_("Region, state or voivodeship (optional).")
    )
    postcode = models.CharField(
        _("postcode"), max_length=20, blank=True, help_text=_("Postal code (optional).")
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[country_code],
        help_text=_("Two-letter ISO country code, e.g. PL or DE; duplicates are checked per country."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["company_name", "id"]
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")

    def __str__(self) -> str:
        return self.company_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.country = (self.country or "").upper()
        self.name_key = normalise_name(self.company_name)
        self.vat_key = normalise_vat_id(self.vat_id, self.country)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("costs:party", args=[self.pk])

    def duplicates(self) -> list[tuple[str, Counterparty]]:
        """``[(reason, existing)]``: counterparties with the same VAT id in the same country or
        the same company name (this one excluded)."""
        found: list[tuple[str, Counterparty]] = []
        others = Counterparty.objects.exclude(pk=self.pk) if self.pk else Counterparty.objects.all()
        vat = normalise_vat_id(self.vat_id, self.country)
        if vat:
            for other in others.filter(vat_key=vat, country=(self.country or "").upper()):
                found.append(("vat", other))
        name = normalise_name(self.company_name)
        if name:
            for other in others.filter(name_key=name):
                if all(o.pk != other.pk for _r, o in found):
                    found.append(("name", other))
        return found


class NoticeUnit(models.TextChoices):
    DAYS = T.DAYS, _("days")
    MONTHS = T.MONTHS, _("months")


class _TermsFields(models.Model):
    """Fields shared by an agreement and an annex (on an annex, empty = unchanged)."""

    notice_value = models.PositiveIntegerField(
        _("notice period"),
        null=True,
        blank=True,
        help_text=_("How long before the end notice must be given; empty when none is agreed."),
    )
    notice_unit = models.CharField(
        _("notice unit"),
        max_length=6,
        choices=NoticeUnit.choices,
        default=NoticeUnit.MONTHS,
        help_text=_("Days, or calendar months (3 months before 31 May is 28 February)."),
    )
    renewal_months = models.PositiveIntegerField(
        _("renewal length (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Length of each tacit renewal in months; empty means 12."),
    )
    price = models.DecimalField(
        _("price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Agreed price per billing period, net (optional, for reference)."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        validators=[currency_code],
        help_text=_("Currency of the price, e.g. EUR (optional)."),
    )

    class Meta:
        abstract = True

    @property
    def notice(self) -> T.Notice | None:
        if self.notice_value is None:
            return None
        return T.Notice(self.notice_value, self.notice_unit)


class Agreement(_TermsFields):
    """A contract with a counterparty; its terms on any date come from :meth:`terms_on`."""

    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("counterparty"),
        help_text=_("The supplier this contract is with."),
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_("What the contract is for, e.g. 'Colocation rack A12'.")
    )
    number = models.CharField(
        _("number"),
        max_length=100,
        blank=True,
        help_text=_("The contract's own number or reference (optional)."),
    )
    concluded_on = models.DateField(
        _("conclusion date"),
        null=True,
        blank=True,
        help_text=_("The day the contract was signed (optional)."),
    )
    starts_on = models.DateField(_("start date"), help_text=_("The day the contract takes effect."))
    expires_on = models.DateField(
        _("expiry date"),
        null=True,
        blank=True,
        help_text=_("The last day of the first term; leave empty for an indefinite contract."),
    )
    indefinite = models.BooleanField(
        _("indefinite"), default=False, help_text=_("The contract runs until notice is given.")
    )
    tacit_renewal = models.BooleanField(
        _("tacit renewal"),
        default=False,
        help_text=_("The contract renews itself at expiry unless notice is given in time."),
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Anything worth remembering (optional)."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["counterparty__company_name", "starts_on", "id"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return f"{self.title} ({self.counterparty})" if self.counterparty_id else self.title

    def get_absolute_url(self) -> str:
        return reverse("costs:agreement", args=[self.pk])

    def clean(self) -> None:
        if self.expires_on and self.starts_on and self.expires_on < self.starts_on:
            raise ValidationError({"expires_on": _("The expiry date is before the start date.")})
        if not self.indefinite and self.expires_on is None:
            raise ValidationError(
                {"expires_on": _("Give an expiry date, or tick 'indefinite' for a contract without one.")}
            )
        if self.indefinite and self.expires_on is not None:
            raise ValidationError(
                {"indefinite": _("An indefinite contract has no expiry date; clear one of the two.")}
            )

    # --- derived terms ---
    def base_terms(self) -> T.Terms:
        return T.Terms(
            starts_on=self.starts_on,
            expires_on=None if self.indefinite else self.expires_on,
            indefinite=self.indefinite,
            notice=self.notice,
            tacit_renewal=self.tacit_renewal,
            renewal_months=self.renewal_months,
            price=self.price,
            currency=self.currency or None,
        )

    def changes(self) -> list[T.Change]:
        # Sorted here rather than by the query, so a prefetch of ``annexes`` is used.
        return [a.change() for a in sorted(self.annexes.all(), key=lambda a: (a.effective_on, a.id))]

    def terms_on(self, day: date) -> T.Terms:
        """The terms in force on ``day`` (agreement + annexes effective by then)."""
        return T.terms_on(self.base_terms(), self.changes(), day)


class Annex(_TermsFields):
    """A change to an agreement from ``effective_on`` on; empty fields leave terms unchanged."""

    class Indefinite(models.TextChoices):
        UNCHANGED = "", _("unchanged")
        YES = "yes", _("becomes indefinite")
        NO = "no", _("becomes fixed-term")

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="annexes",
        verbose_name=_("agreement"),
        help_text=_("The agreement this annex changes."),
    )
    number = models.CharField(
        _("number"),
        max_length=100,
        blank=True,
        help_text=_("The annex's own number or reference (optional)."),
    )
    concluded_on = models.DateField(
        _("conclusion date"), null=True, blank=True, help_text=_("The day the annex was signed (optional).")
    )
    effective_on = models.DateField(
        _("effective date"), help_text=_("The day from which the changed terms apply.")
    )
    expires_on = models.DateField(
        _("new expiry date"),
        null=True,
        blank=True,
        help_text=_("A new last day of the term; empty leaves the expiry unchanged."),
    )
    indefinite = models.CharField(
        _("indefinite"),
        max_length=3,
        blank=True,
        choices=Indefinite.choices,
        help_text=_("Whether the agreement becomes indefinite or fixed-term from the effective date."),
    )
    tacit_renewal = models.BooleanField(
        _("tacit renewal"),
        null=True,
        blank=True,
        help_text=_("Whether the agreement renews itself from now on; empty leaves it unchanged."),
    )
    notice_unit = models.CharField(
        _("notice unit"),
        max_length=6,
        choices=NoticeUnit.choices,
        default=NoticeUnit.MONTHS,
        help_text=_("Unit of the new notice period (used only when a notice period is given)."),
    )
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("What the annex changes, in words (optional).")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement_id", "effective_on", "id"]
        verbose_name = _("annex")
        verbose_name_plural = _("annexes")

    def __str__(self) -> str:
        return f"{self.number or _('Annex')} ({self.effective_on})"

    def get_absolute_url(self) -> str:
        return reverse("costs:agreement", args=[self.agreement_id])

    def change(self) -> T.Change:
        indefinite = {"yes": True, "no": False}.get(self.indefinite)
        return T.Change(
            effective_on=self.effective_on,
            expires_on=self.expires_on,
            indefinite=indefinite,
            notice=self.notice,
            tacit_renewal=self.tacit_renewal,
            renewal_months=self.renewal_months,
            price=self.price,
            currency=self.currency or None,
        )


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")
    ONE_OFF = "one_off", _("one-off")


FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12, "one_off": 0}


class Commitment(models.Model):
    """An obligation to pay, with its cost invoices and an optional expected cost schedule.

    Bound to an agreement, its period follows the agreement's terms; otherwise its own dates,
    else the first and last document dates of its cost invoices (see ``forecaster.costs.periods``).
    """

    name = models.CharField(
        _("name"), max_length=200, help_text=_("What is being paid for, e.g. 'Transit 10G'.")
    )
    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("counterparty"),
        help_text=_("Who is paid (optional when bound to an agreement: then its counterparty)."),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("agreement"),
        help_text=_("Bind to an agreement and the period follows its terms (annexes and renewals)."),
    )
    starts_on = models.DateField(
        _("start date"),
        null=True,
        blank=True,
        help_text=_("First day (ignored when bound to an agreement); empty: the first invoice's date."),
    )
    ends_on = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("Last day (ignored when bound to an agreement); empty: the last invoice's date."),
    )
    indefinite = models.BooleanField(
        _("indefinite"),
        default=False,
        help_text=_("Runs with no end date (ignored when bound to an agreement)."),
    )
    # Expected cost schedule (the original had none).
    expected_amount = models.DecimalField(
        _("expected amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Expected net cost per period in the schedule's currency; empty: no schedule."),
    )
    expected_currency = models.CharField(
        _("schedule currency"),
        max_length=3,
        blank=True,
        validators=[currency_code],
        help_text=_("Currency of the expected amount, e.g. EUR."),
    )
    frequency = models.CharField(
        _("frequency"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
        help_text=_("How often the expected amount is due."),
    )
    schedule_from = models.DateField(
        _("schedule from"),
        null=True,
        blank=True,
        help_text=_("First due date of the schedule; empty: the commitment's start."),
    )
    schedule_until = models.DateField(
        _("schedule until"),
        null=True,
        blank=True,
        help_text=_("Last possible due date; empty: the commitment's end (open when indefinite)."),
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Anything worth remembering (optional)."))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("costs:commitment", args=[self.pk])

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date is before the start date.")})
        if self.indefinite and self.ends_on:
            raise ValidationError({"indefinite": _("An indefinite commitment has no end date; clear one.")})
        if self.schedule_from and self.schedule_until and self.schedule_until < self.schedule_from:
            raise ValidationError({"schedule_until": _("The schedule ends before it starts.")})
        if self.expected_amount is not None and not self.expected_currency:
            raise ValidationError({"expected_currency": _("Give the currency of the expected amount.")})
        if (
            self.agreement_id
            and self.counterparty_id
            and self.agreement.counterparty_id != self.counterparty_id
        ):
            raise ValidationError(
                {"agreement": _("This agreement is with another counterparty than the commitment's.")}
            )

    @property
    def payee(self) -> Counterparty | None:
        if self.counterparty_id:
            return self.counterparty
        return self.agreement.counterparty if self.agreement_id else None


class PriceStep(models.Model):
    """From ``effective_on`` on, the schedule's expected amount becomes ``amount``."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="price_steps", verbose_name=_("commitment")
    )
    effective_on = models.DateField(_("from"), help_text=_("The first due date charged at the new amount."))
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The new expected net amount per period, in the schedule's currency."),
    )

    class Meta:
        ordering = ["effective_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "effective_on"], name="price_step_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.effective_on}: {self.amount}"


class Tag(models.Model):
    """A free label on cost invoices ("power", "licences"); the costs report groups by it."""

    name = models.CharField(
        _("name"), max_length=50, unique=True, help_text=_("A short label, e.g. 'power'.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CostInvoice(models.Model):
    """An invoice the company received, in its own currency, and converted into the base
    currency when saved (``rate``, ``*_base`` and the integer ``*_base_cents`` the reports sum).
    """

    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        related_name="cost_invoices",
        verbose_name=_("counterparty"),
        help_text=_("Who issued the invoice."),
    )
    number = models.CharField(_("number"), max_length=100, help_text=_("The invoice number as printed."))
    document_date = models.DateField(
        _("document date"), help_text=_("The date on the invoice; reports and conversion use it.")
    )
    receipt_date = models.DateField(
        _("receipt date"), null=True, blank=True, help_text=_("The day the invoice arrived (optional).")
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, help_text=_("The last day to pay (optional).")
    )
    net = models.DecimalField(
        _("net"), max_digits=14, decimal_places=2, help_text=_("Net amount in the invoice currency.")
    )
    vat = models.DecimalField(
        _("VAT"),
        max_digits=14,
        decimal_places=2,
        help_text=_("VAT amount in the invoice currency (0 if none)."),
    )
    gross = models.DecimalField(
        _("gross"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Gross amount in the invoice currency; must equal net + VAT."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        validators=[currency_code],
        help_text=_("Three-letter code of the invoice currency, e.g. EUR."),
    )
    rate = models.DecimalField(max_digits=18, decimal_places=6, editable=False, default=Decimal("1"))
    rate_kind = models.CharField(max_length=10, editable=False, blank=True)
    net_base = models.DecimalField(max_digits=16, decimal_places=2, editable=False, default=Decimal("0"))
    vat_base = models.DecimalField(max_digits=16, decimal_places=2, editable=False, default=Decimal("0"))
    net_base_cents = models.BigIntegerField(editable=False, default=0)
    vat_base_cents = models.BigIntegerField(editable=False, default=0)
    base_currency = models.CharField(max_length=3, editable=False, blank=True)
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cost_invoices",
        verbose_name=_("commitment"),
        help_text=_("The commitment this invoice pays for (optional)."),
    )
    tags = models.ManyToManyField(
        Tag,
        blank=True,
        related_name="cost_invoices",
        verbose_name=_("tags"),
        help_text=_("Labels (optional)."),
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Anything worth remembering (optional)."))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[tags])

    class Meta:
        ordering = ["-document_date", "-id"]
        verbose_name = _("cost invoice")
        verbose_name_plural = _("cost invoices")
        constraints = [
            models.UniqueConstraint(fields=["counterparty", "number"], name="cost_invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(gross=Round(F("net") + F("vat"), 2)),
                name="cost_invoice_gross_is_net_plus_vat",
                violation_error_message=_("Gross must equal net + VAT."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["document_date", "net_base_cents", "vat_base_cents"], name="cost_invoice_day_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.counterparty})" if self.counterparty_id else self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.currency = (self.currency or "").upper()
        self.convert()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("costs:invoice", args=[self.pk])

    def clean(self) -> None:
        amounts = (self.net, self.vat, self.gross)
        if None not in amounts and Decimal(self.net) + Decimal(self.vat) != Decimal(self.gross):
            raise ValidationError(
                {
                    "gross": _("Net %(net)s + VAT %(vat)s = %(sum)s, not %(gross)s.")
                    % {
                        "net": self.net,
                        "vat": self.vat,
                        "sum": Decimal(self.net) + Decimal(self.vat),
                        "gross": self.gross,
                    }
                }
            )
        if self.due_date and self.document_date and self.due_date < self.document_date:
            raise ValidationError({"due_date": _("The due date is before the document date.")})

    @property
    def gross_base(self) -> Decimal:
        return Decimal(self.net_base) + Decimal(self.vat_base)

    def convert(self) -> None:
        """Fill ``rate`` and the base amounts from the currency rules (half-up per invoice)."""
        from forecaster.costs.conversion import convert_cost

        result = convert_cost(self.currency, self.document_date, Decimal(self.net), Decimal(self.vat))
        self.rate = result.rate
        self.rate_kind = result.kind
        self.base_currency = result.base
        self.net_base = result.net
        self.vat_base = result.vat
        self.net_base_cents = int(result.net.scaleb(2))
        self.vat_base_cents = int(result.vat.scaleb(2))


class CostCurrencyRate(models.Model):
    """A fixed rate for cost invoices in one currency: amount × rate = base currency.
    Wins over the ECB reference rate of the document date."""

    currency = models.CharField(
        _("currency"),
        max_length=3,
        unique=True,
        validators=[currency_code],
        help_text=_("The invoice currency this rate converts, e.g. EUR."),
    )
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Amounts in this currency × rate = amounts in the base currency."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["currency"]

    def __str__(self) -> str:
        return f"{self.currency} × {self.rate}"


# --- maintained aggregates (forecaster.costs.aggregates keeps them in step) -----------------------
class CostDay(models.Model):
    """All cost invoices of one document date: count and base-currency cents."""

    day = models.DateField(unique=True)
    invoices = models.PositiveIntegerField()
    net_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.day}: {self.invoices}"


class CostMonth(models.Model):
    """Cost invoices of one month, counterparty and commitment (ids; commitment may be empty)."""

    month = models.DateField()
    counterparty_id = models.BigIntegerField()
    commitment_id = models.BigIntegerField(null=True)
    invoices = models.PositiveIntegerField()
    net_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month"], name="cost_month_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.counterparty_id}/{self.commitment_id}: {self.invoices}"


class CostCommitment(models.Model):
    """All cost invoices of one commitment: count, base-currency cents, first and last document
    date (what "To end", the commitment's period from its invoices and the outlook read)."""

    commitment_id = models.BigIntegerField(unique=True)
    invoices = models.PositiveIntegerField()
    net_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()
    first_day = models.DateField()
    last_day = models.DateField()

    def __str__(self) -> str:
        return f"commitment {self.commitment_id}: {self.invoices}"


class CostMonthTag(models.Model):
    """Cost invoices of one month carrying one tag (``tag_id`` 0: untagged)."""

    month = models.DateField()
    tag_id = models.BigIntegerField()
    invoices = models.PositiveIntegerField()
    net_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month"], name="cost_month_tag_month")]

    def __str__(self) -> str:
        return f"{self.month} tag {self.tag_id}: {self.invoices}"
