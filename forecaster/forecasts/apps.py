from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastsConfig(AppConfig):
    name = "forecaster.forecasts"
    label = "forecasts"
    verbose_name = _("Forecasts")
    default_auto_field = "django.db.models.BigAutoField"
