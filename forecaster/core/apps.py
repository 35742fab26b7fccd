from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Process management (serve) and project-wide checks."""

    name = "forecaster.core"
    label = "core"

    def ready(self) -> None:
        from forecaster.core import checks  # noqa: F401  (registers the system checks)
