from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """A WHMCS-compatible API server; no models."""

    name = "forecaster.sandbox"
    label = "sandbox"
    verbose_name = "WHMCS sandbox"
