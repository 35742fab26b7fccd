"""Forms of the forecast pages; every field has a help text."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _gt
from django.utils.translation import gettext_lazy as _

from forecaster.costs.models import Commitment
from forecaster.forecasts.models import DeadlineSettings, Scenario, ScenarioCommitment
from forecaster.forecasts.scenarios import format_fx, parse_fx


class ScenarioForm(forms.ModelForm):
    fx_text = forms.CharField(
        label=_("Exchange-rate shifts"),
        required=False,
        help_text=_(
            "Per currency, the change of its rate in percent, e.g. “EUR +5, GBP -3”. Empty: no shift."
        ),
    )

    class Meta:
        model = Scenario
        fields = ["name", "description", "revenue_growth_pct", "cost_inflation_pct", "cancel"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "cancel": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["cancel"].queryset = Commitment.objects.order_by("name", "pk")
        if self.instance.pk:
            self.fields["fx_text"].initial = format_fx(self.instance.fx_shifts)

    def clean_fx_text(self) -> dict:
        try:
            return parse_fx(self.cleaned_data.get("fx_text") or "")
        except ValueError as exc:
            raise forms.ValidationError(
                _gt("Cannot read %(part)s: write a currency code and a percentage, e.g. “EUR +5”.")
                % {"part": exc}
            ) from None

    def save(self, commit: bool = True) -> Scenario:
        self.instance.fx_shifts = self.cleaned_data["fx_text"]
        return super().save(commit)


class ScenarioCommitmentForm(forms.ModelForm):
    class Meta:
        model = ScenarioCommitment
        fields = ["name", "amount", "currency", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end is before the start."))
        return data


class AlertDaysForm(forms.ModelForm):
    class Meta:
        model = DeadlineSettings
        fields = ["alert_days"]
