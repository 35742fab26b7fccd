from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastsConfig(AppConfig):
    name = "forecaster.forecasts"
    label = "forecasts"
    verbose_name = _("Forecasts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.forecasts import api, jobs
        from forecaster.reports import api as reports_api
        from forecaster.sync import schedule

        if jobs.tick not in schedule.HOOKS:
            schedule.HOOKS.append(jobs.tick)
        if api.extend_schema not in reports_api.SCHEMA_EXTENSIONS:
            reports_api.SCHEMA_EXTENSIONS.append(api.extend_schema)
