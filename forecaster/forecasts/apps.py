import os

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The revenue model (statsmodels → scipy → OpenBLAS) fits tiny monthly series. A threaded BLAS
# spins up a thread per core for each small matrix step, which on a busy 2-core machine made a
# fit ten times slower (0.6 s instead of 0.06 s). One thread per process; set before numpy loads,
# which only the model does, lazily. An operator's own setting wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


class ForecastsConfig(AppConfig):
    name = "forecaster.forecasts"
    label = "forecasts"
    verbose_name = _("Forecasts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forecaster.costs.signals import demo_loaded
        from forecaster.forecasts import api, demo, jobs, tasks
        from forecaster.reports import api as reports_api
        from forecaster.sync import schedule
        from forecaster.sync.signals import invoices_changed

        invoices_changed.connect(tasks.on_invoices_changed, dispatch_uid="forecasts-refit-revenue")
        demo_loaded.connect(demo.add_demo_scenario, dispatch_uid="forecasts-demo-scenario")

        if jobs.tick not in schedule.HOOKS:
            schedule.HOOKS.append(jobs.tick)
        if api.extend_schema not in reports_api.SCHEMA_EXTENSIONS:
            reports_api.SCHEMA_EXTENSIONS.append(api.extend_schema)
