from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LanguageConfig(AppConfig):
    name = "forecaster.language"
    label = "language"
    verbose_name = _("Language")
    default_auto_field = "django.db.models.BigAutoField"
