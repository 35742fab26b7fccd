from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "forecaster.systems"
    label = "systems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.systems.registry import autodiscover

        autodiscover()
