from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "forecaster.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.currency.base import register_holder
        from forecaster.reports.rates import reconvert_all_revenue, revenue_held

        # A change of base currency re-converts the invoices held (forecaster.currency.base).
        register_holder("revenue", held=revenue_held, reconvert=reconvert_all_revenue)
