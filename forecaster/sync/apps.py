from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "forecaster.sync"
    label = "sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.sync import signals  # noqa: F401 - connects the receivers
