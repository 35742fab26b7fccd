"""Registers the apiWHMCS type (imported by forecaster.systems.registry.autodiscover)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from forecaster.systems.registry import SystemType, register
from forecaster.systems.whmcs.client import WhmcsClient
from forecaster.systems.whmcs.forms import WhmcsSystemForm

WHMCS = register(
    SystemType(
        key="whmcs",
        label="apiWHMCS",
        form_class=WhmcsSystemForm,
        make_client=WhmcsClient.for_system,
        help_url_name="systems:help_whmcs",
        help_title=_("Connecting WHMCS"),
        description=_("A WHMCS installation, read over its external API (GetInvoices)."),
    )
)
