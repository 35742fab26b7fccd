from django.urls import include, path, re_path

from forecaster.reports import api

app_name = "api"
urlpatterns = [
    path("revenue", api.revenue_api, name="revenue"),
    path("systems", api.systems_api, name="systems"),
    path("openapi.json", api.openapi_api, name="openapi"),
    path("", include("forecaster.costs.api_urls")),
    re_path(r"^(?P<rest>.*)$", api.not_found_api),
]
