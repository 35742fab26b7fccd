from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "forecaster.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.currency.base import register_holder
        from forecaster.reports import aggregates
        from forecaster.reports.queries import totals_by_system
        from forecaster.reports.rates import apply_to_history, reconvert_all_revenue, revenue_held
        from forecaster.sync.signals import invoices_changed
        from forecaster.systems import holdings

        # The daily aggregates follow every change to the invoices held, in its transaction.
        invoices_changed.connect(aggregates.on_invoices_changed, dispatch_uid="reports-aggregates")

        # The systems pages show the totals and re-convert after a rate change through these.
        holdings.provide(
            totals=totals_by_system, reconvert=apply_to_history, refresh_revenue=aggregates.refresh
        )
        # A change of base currency re-converts the invoices held (forecaster.currency.base).
        register_holder("revenue", held=revenue_held, reconvert=reconvert_all_revenue)
