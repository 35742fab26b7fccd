from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CostsConfig(AppConfig):
    name = "forecaster.costs"
    label = "costs"
    verbose_name = _("Costs and commitments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.costs import (
            api,
            cli,
            signals,  # noqa: F401  (connects the aggregate upkeep)
        )
        from forecaster.costs.conversion import costs_held, reconvert_all
        from forecaster.currency.base import register_holder
        from forecaster.reports import api as reports_api
        from forecaster.reports.extensions import add_report_command

        register_holder("costs", held=costs_held, reconvert=reconvert_all)
        add_report_command(cli)  # `forecaster report costs` and `report result`
        if api.extend_schema not in reports_api.SCHEMA_EXTENSIONS:
            reports_api.SCHEMA_EXTENSIONS.append(api.extend_schema)
