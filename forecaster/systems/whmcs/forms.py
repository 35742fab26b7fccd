"""The apiWHMCS connection-details form: labels and help texts in the words of the user guide."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from forecaster.currency.base import base_currency
from forecaster.lib.display import count_text
from forecaster.systems.forms import SystemForm


class WhmcsSystemForm(SystemForm):
    api_path_suffix = "/includes/api.php"

    LABELS = {
        "name": gettext_lazy("Name"),
        "description": gettext_lazy("Description"),
        "url": "URL",
        "identifier": gettext_lazy("Username (API Identifier)"),
        "secret": gettext_lazy("Password (API Secret)"),
        "step": gettext_lazy("Step"),
        "parallel_requests": gettext_lazy("Parallel requests"),
        "auto_sync": gettext_lazy("Automatic synchronization"),
        "exchange_rate": gettext_lazy("Exchange rate"),
        "refunds_restate": gettext_lazy("Refunds restate the original month"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editing = bool(self.instance.pk)
        helps = {
            "name": _("A name you will recognise this WHMCS system by, e.g. the brand or country."),
            "description": _("Optional notes for your colleagues."),
            "url": _(
                "Link to the API of the WHMCS system: <code>https://XXX.XXX.XX/includes/api.php</code>. "
                "Use https:// whenever WHMCS supports it."
            ),
            "identifier": _(
                "API user Identifier: WHMCS → System Settings → Manage API Credentials → "
                "API Credentials → Generate."
            ),
            "secret": _("API user password Secret, shown by WHMCS only once, when you press Generate.")
            + " "
            + (
                _("Leave empty to keep the stored secret; it is never shown again.")
                if editing
                else _("It is stored encrypted and never shown again.")
            ),
            "step": _("Number of invoices that will be synced for each sync step (1–1000; default 100)."),
            "parallel_requests": _(
                "How many pages of invoices a full sync asks WHMCS for at once (1–8; default 2). "
                "Each request in flight is work for the WHMCS server and its database: across a "
                "slow network 4 or 8 make a full sync several times faster, while a busy or small "
                "WHMCS server is better served by 1 or 2. Pages are still saved in order, so an "
                "interrupted sync resumes exactly where it stopped."
            ),
            "auto_sync": _(
                "Check the box for the automatic synchronization of invoices once a day "
                "(at %(time)s, server time)."
            )
            % {"time": escape(settings.AUTO_SYNC_TIME)},
            "exchange_rate": _(
                "Specify the exchange rate if the currency is not the same as in the system "
                "(%(currency)s). Set it to 1 if the currency is the same as in the system. Up to 6 decimals."
            )
            % {"currency": escape(base_currency())},
            "apply_rate_to": ngettext(
                "This system already holds %(count)s invoice. When you change the rate, choose "
                "whether it also applies to it.",
                "This system already holds %(count)s invoices. When you change the rate, choose "
                "whether it also applies to them.",
                self.invoices_held,
            )
            % {"count": count_text(self.invoices_held)},
        }
        for name, field in self.fields.items():
            if name in self.LABELS:
                field.label = self.LABELS[name]
            if name in helps:
                field.help_text = helps[name]
