from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "forecaster.sync"
    label = "sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.sync import signals  # noqa: F401 - connects the receivers
        from forecaster.sync.ledger import blind_spot, remember_actions, revenue_notes
        from forecaster.sync.models import Invoice
        from forecaster.systems import holdings

        holdings.provide(
            invoices_held=lambda system_id: Invoice.objects.filter(system_id=system_id).count(),
            blind_spot=blind_spot,
            revenue_notes=revenue_notes,
            remember_actions=remember_actions,
        )
