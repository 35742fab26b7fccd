"""Forms of the reports pages (report filter, exchange rates, site settings, API tokens)."""

from __future__ import annotations

from django import forms

from forecaster.reports.models import RateSource, SiteSettings, SystemCurrencyRate
from forecaster.reports.queries import GROUPINGS
from forecaster.systems.models import AccountingSystem


class ReportFilterForm(forms.Form):
    """The revenue page's filter (GET). Validation itself is ``params.parse_report_params``."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day included; empty = from the first invoice.",
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day included; empty = up to the last invoice.",
    )
    by = forms.ChoiceField(
        label="Group by", choices=[(g, g.capitalize()) for g in GROUPINGS], initial="month"
    )
    system = forms.ChoiceField(label="System", required=False)
    basis = forms.ChoiceField(
        label="Date by",
        initial="invoice",
        choices=[("invoice", "Invoice date"), ("paid", "Date paid")],
        help_text="Which date places an invoice in a period.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [("", "All systems")] + [
            (str(s.pk), s.name) for s in AccountingSystem.objects.only("id", "name")
        ]


class RatePolicyForm(forms.Form):
    source = forms.ChoiceField(label="Rate source", choices=RateSource.choices, widget=forms.RadioSelect)


class CurrencyRateForm(forms.ModelForm):
    # Declared here so lower-case input is upper-cased before the model's A-Z check runs.
    currency = forms.CharField(
        max_length=3, min_length=3, help_text="The invoice currency code as WHMCS shows it, e.g. PLN."
    )

    class Meta:
        model = SystemCurrencyRate
        fields = ["currency", "rate"]

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def validate_unique(self) -> None:
        # An existing rate for the currency is replaced by the view (update_or_create).
        pass


class ApplyHistoryField(forms.Form):
    apply_history = forms.BooleanField(
        required=False,
        label="Also re-convert the invoices already imported",
        help_text="Unticked: the change applies only to invoices imported from now on; "
        "reports keep today's figures for the invoices already held.",
    )


class SiteSettingsForm(forms.ModelForm):
    base_currency = forms.CharField(
        max_length=3,
        required=False,
        label="Base currency",
        help_text="The currency every report is in, e.g. EUR. Empty: the FORECASTER_CURRENCY "
        "environment setting.",
    )
    reconvert = forms.BooleanField(
        required=False,
        label="Re-convert every system's imported invoices now",
        help_text="Unticked: invoices already imported keep the amounts converted into the "
        "previous base currency until you re-convert them.",
    )

    class Meta:
        model = SiteSettings
        fields = ["base_currency"]

    def clean_base_currency(self) -> str:
        return (self.cleaned_data.get("base_currency") or "").strip().upper()


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use this token, e.g. 'BI dashboard'.")
