from django.urls import include, path

from forecaster.core.views import favicon, healthz
from forecaster.reports import views as report_views

urlpatterns = [
    path("", report_views.dashboard, name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers and tools that ignore <link rel="icon"> ask for /favicon.ico.
    path("favicon.ico", favicon),
    path("accounts/", include("forecaster.accounts.urls")),
    path("systems/", include("forecaster.systems.urls")),
    path("sync/", include("forecaster.sync.urls")),
    path("reports/", include("forecaster.reports.urls")),
    path("forecasts/", include("forecaster.forecasts.urls")),
    path("costs/", include("forecaster.costs.urls")),
    path("api/", include("forecaster.forecasts.api_urls")),
    path("api/", include("forecaster.reports.api_urls")),
    path("language/", include("forecaster.language.urls")),
    path("documents/", include("forecaster.documents.urls")),
]

# An unusable database (locked, full) answers 503 with the reason, JSON on the API.
handler500 = "forecaster.core.views.server_error"
