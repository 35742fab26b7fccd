from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CostsConfig(AppConfig):
    name = "forecaster.costs"
    label = "costs"
    verbose_name = _("Costs and commitments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.costs import signals  # noqa: F401  (connects the aggregate upkeep)
        from forecaster.costs.conversion import costs_held, reconvert_all
        from forecaster.currency.base import register_holder

        register_holder("costs", held=costs_held, reconvert=reconvert_all)
