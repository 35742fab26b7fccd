"""Forms of the reports pages (report filter, exchange rates, site settings, API tokens)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from forecaster.currency.models import RateSource, SiteSettings, SystemCurrencyRate
from forecaster.reports.queries import GROUPINGS
from forecaster.systems.models import AccountingSystem


def date_placeholder() -> str:
    """The reader's date format spelled out for a date box: YYYY-MM-DD, DD.MM.RRRR, ДД.ММ.ГГГГ."""
    pattern = get_format("SHORT_DATE_FORMAT")
    letters = {"Y": _("YYYY"), "m": _("MM"), "d": _("DD")}
    return "".join(str(letters.get(ch, ch)) for ch in pattern)


GROUPING_LABELS = {"year": _("Year"), "month": _("Month"), "day": _("Day")}


class ReportFilterForm(forms.Form):
    """The revenue page's filter (GET). Validation itself is ``params.parse_report_params``."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        localize=True,
        widget=forms.DateInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("First day included; empty = from the first invoice."),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        localize=True,
        widget=forms.DateInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Last day included; empty = up to the last invoice."),
    )
    by = forms.ChoiceField(
        label=_("Group by"), choices=[(g, GROUPING_LABELS[g]) for g in GROUPINGS], initial="month"
    )
    system = forms.ChoiceField(label=_("System"), required=False)
    basis = forms.ChoiceField(
        label=_("Date by"),
        initial="invoice",
        choices=[("invoice", _("Invoice date")), ("paid", _("Date paid"))],
        help_text=_("Which date places an invoice in a period."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("date_from", "date_to"):
            # Typed in the reader's short date format, the same one every page shows dates in.
            self.fields[name].widget.attrs["placeholder"] = date_placeholder()
        self.fields["system"].choices = [("", _("All systems"))] + [
            (str(s.pk), s.name) for s in AccountingSystem.objects.only("id", "name")
        ]


class RatePolicyForm(forms.Form):
    source = forms.ChoiceField(label=_("Rate source"), choices=RateSource.choices, widget=forms.RadioSelect)


class CurrencyRateForm(forms.ModelForm):
    # Declared here so lower-case input is upper-cased before the model's A-Z check runs.
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("The invoice currency code as WHMCS shows it, e.g. PLN."),
    )

    class Meta:
        model = SystemCurrencyRate
        fields = ["currency", "rate"]
        labels = {"rate": _("Rate")}

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def validate_unique(self) -> None:
        # An existing rate for the currency is replaced by the view (update_or_create).
        pass


class ApplyHistoryField(forms.Form):
    apply_history = forms.BooleanField(
        required=False,
        label=_("Also re-convert the invoices already imported"),
        help_text=_(
            "Unticked: the change applies only to invoices imported from now on; "
            "reports keep today's figures for the invoices already held."
        ),
    )


class SiteSettingsForm(forms.ModelForm):
    base_currency = forms.CharField(
        max_length=3,
        required=False,
        label=_("Base currency"),
        help_text=_(
            "The currency every report is in, e.g. EUR. Empty: the FORECASTER_CURRENCY environment setting."
        ),
    )
    reconvert = forms.BooleanField(
        required=False,
        label=_("Re-convert every system's imported invoices now"),
        help_text=_(
            "Unticked: invoices already imported keep their amounts in the previous base "
            "currency, and reports stay in it, until you re-convert them."
        ),
    )

    class Meta:
        model = SiteSettings
        fields = ["base_currency"]

    def clean_base_currency(self) -> str:
        return (self.cleaned_data.get("base_currency") or "").strip().upper()


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What will use this token, e.g. 'BI dashboard'.")
    )
