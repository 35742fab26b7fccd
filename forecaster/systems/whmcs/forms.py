"""The apiWHMCS connection-details form: labels and help texts in the words of the user guide."""

from __future__ import annotations

from django.conf import settings
from django.utils.html import escape

from forecaster.reports.rates import base_currency
from forecaster.systems.forms import SystemForm


class WhmcsSystemForm(SystemForm):
    api_path_suffix = "/includes/api.php"

    LABELS = {
        "name": "Name",
        "description": "Description",
        "url": "URL",
        "identifier": "Username (API Identifier)",
        "secret": "Password (API Secret)",
        "step": "Step",
        "auto_sync": "Automatic synchronization",
        "exchange_rate": "Exchange rate",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        editing = bool(self.instance.pk)
        helps = {
            "name": "A name you will recognise this WHMCS system by, e.g. the brand or country.",
            "description": "Optional notes for your colleagues.",
            "url": (
                "Link to the API of the WHMCS system: <code>https://XXX.XXX.XX/includes/api.php</code>. "
                "Use https:// whenever WHMCS supports it."
            ),
            "identifier": (
                "API user Identifier: WHMCS → System Settings → Manage API Credentials → "
                "API Credentials → Generate."
            ),
            "secret": (
                "API user password Secret, shown by WHMCS only once, when you press Generate. "
                + (
                    "Leave empty to keep the stored secret; it is never shown again."
                    if editing
                    else "It is stored encrypted and never shown again."
                )
            ),
            "step": "Number of invoices that will be synced for each sync step (1–1000; default 100).",
            "auto_sync": (
                "Check the box for the automatic synchronization of invoices once a day "
                f"(at {escape(settings.AUTO_SYNC_TIME)}, server time)."
            ),
            "exchange_rate": (
                "Specify the exchange rate if the currency is not the same as in the system "
                f"({escape(base_currency())}). Set it to 1 if the currency is the same as in the "
                "system. Up to 6 decimals."
            ),
            "apply_rate_to": (
                f"This system already holds {self.invoices_held:,} invoices. When you change the "
                "rate, choose whether it also applies to them."
            ),
        }
        for name, field in self.fields.items():
            if name in self.LABELS:
                field.label = self.LABELS[name]
            if name in helps:
                field.help_text = helps[name]
