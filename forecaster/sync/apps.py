from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "forecaster.sync"
    label = "sync"
    default_auto_field = "django.db.models.BigAutoField"
