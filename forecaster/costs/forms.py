"""Forms of the cost pages; the web UI and the CSV import validate through the same classes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from forecaster.costs.conversion import NoRate, rate_for
from forecaster.costs.models import (
    Agreement,
    Annex,
    Commitment,
    CostCurrencyRate,
    CostInvoice,
    Counterparty,
    PriceStep,
    Tag,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_widgets(*names: str) -> dict:
    return dict.fromkeys(names, DATE)


class CounterpartyForm(forms.ModelForm):
    class Meta:
        model = Counterparty
        fields = [
            "company_name",
            "vat_id",
            "country",
            "first_name",
            "last_name",
            "email",
            "phone",
            "address",
            "city",
            "region",
            "postcode",
        ]

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        probe = Counterparty(
            pk=self.instance.pk,
            company_name=data.get("company_name") or "",
            vat_id=data.get("vat_id") or "",
            country=data.get("country") or "",
        )
        #: ``[(reason, existing)]`` — the template links to each existing counterparty.
        self.duplicates = probe.duplicates()
        for reason, other in self.duplicates:
            if reason == "vat":
                self.add_error(
                    "vat_id",
                    _("“%(name)s” already has this VAT id in this country.") % {"name": other.company_name},
                )
            else:
                self.add_error(
                    "company_name",
                    _("A counterparty named “%(name)s” already exists.") % {"name": other.company_name},
                )
        return data


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = [
            "counterparty",
            "title",
            "number",
            "concluded_on",
            "starts_on",
            "expires_on",
            "indefinite",
            "tacit_renewal",
            "renewal_months",
            "notice_value",
            "notice_unit",
            "price",
            "currency",
            "notes",
        ]
        widgets = _date_widgets("concluded_on", "starts_on", "expires_on")

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()


class AnnexForm(forms.ModelForm):
    class Meta:
        model = Annex
        fields = [
            "number",
            "concluded_on",
            "effective_on",
            "expires_on",
            "indefinite",
            "tacit_renewal",
            "renewal_months",
            "notice_value",
            "notice_unit",
            "price",
            "currency",
            "notes",
        ]
        widgets = _date_widgets("concluded_on", "effective_on", "expires_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tacit_renewal"].widget = forms.Select(
            choices=[("unknown", _("unchanged")), ("true", _("yes")), ("false", _("no"))]
        )

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("indefinite") == "yes" and data.get("expires_on"):
            self.add_error(
                "expires_on", _("An annex that makes the agreement indefinite sets no expiry date.")
            )
        return data


class CommitmentForm(forms.ModelForm):
    from_invoice = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Commitment
        fields = [
            "name",
            "counterparty",
            "agreement",
            "starts_on",
            "ends_on",
            "indefinite",
            "expected_amount",
            "expected_currency",
            "frequency",
            "schedule_from",
            "schedule_until",
            "notes",
        ]
        widgets = _date_widgets("starts_on", "ends_on", "schedule_from", "schedule_until")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = Agreement.objects.select_related("counterparty")

    def clean_expected_currency(self) -> str:
        return (self.cleaned_data.get("expected_currency") or "").strip().upper()


class PriceStepForm(forms.ModelForm):
    class Meta:
        model = PriceStep
        fields = ["effective_on", "amount"]
        widgets = _date_widgets("effective_on")


class TagsField(forms.CharField):
    """Comma-separated labels → a list of names (trimmed, de-duplicated, case kept)."""

    def clean(self, value: str | None) -> list[str]:
        value = super().clean(value) or ""
        names: list[str] = []
        for raw in value.split(","):
            name = " ".join(raw.split())
            if not name:
                continue
            if len(name) > 50:
                raise forms.ValidationError(
                    _("A tag has at most 50 characters: %(tag)s") % {"tag": name[:60]}
                )
            if name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
        return names


class CostInvoiceForm(forms.ModelForm):
    tag_names = TagsField(
        label=_("tags"),
        required=False,
        help_text=_("Comma-separated labels, e.g. “power, Warsaw”; the costs report can group by them."),
    )

    class Meta:
        model = CostInvoice
        fields = [
            "counterparty",
            "number",
            "document_date",
            "receipt_date",
            "due_date",
            "net",
            "vat",
            "gross",
            "currency",
            "commitment",
            "notes",
        ]
        widgets = _date_widgets("document_date", "receipt_date", "due_date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["tag_names"] = ", ".join(t.name for t in self.instance.tags.all())
        self.order_fields([*self.Meta.fields[:-1], "tag_names", "notes"])

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        net, vat, gross = data.get("net"), data.get("vat"), data.get("gross")
        if None not in (net, vat, gross) and Decimal(net) + Decimal(vat) != Decimal(gross):
            # The model says the same; saying it once on the gross field is enough.
            self.errors.pop("__all__", None)
        currency, day = data.get("currency"), data.get("document_date")
        if currency and day and "currency" not in self.errors:
            try:
                rate_for(currency, day)
            except NoRate as exc:
                self.add_error("currency", str(exc))
        commitment = data.get("commitment")
        counterparty = data.get("counterparty")
        if commitment and counterparty and commitment.payee and commitment.payee.pk != counterparty.pk:
            self.add_error(
                "commitment",
                _("This commitment is with “%(name)s”, not with this invoice's counterparty.")
                % {"name": commitment.payee},
            )
        return data

    def save(self, commit: bool = True) -> CostInvoice:
        invoice = super().save(commit=commit)
        if commit:
            self.save_tags(invoice)
        return invoice

    def save_tags(self, invoice: CostInvoice) -> None:
        tags = []
        for name in self.cleaned_data.get("tag_names") or []:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            tags.append(tag)
        invoice.tags.set(tags)


class CostRateForm(forms.ModelForm):
    currency = forms.CharField(
        label=_("currency"),
        max_length=3,
        min_length=3,
        help_text=_("The invoice currency this rate converts, e.g. EUR."),
    )

    class Meta:
        model = CostCurrencyRate
        fields = ["currency", "rate"]

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV with a header row: counterparty, number, document_date, net, vat, gross, currency "
            "and optionally receipt_date, due_date, vat_id, commitment, tags. Dates as YYYY-MM-DD, amounts "
            "with a dot."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        initial=True,
        help_text=_("Check every line and show what would be imported, without saving anything."),
    )
