from django.urls import path

from forecaster.reports import views

app_name = "reports"
urlpatterns = [
    path("revenue/", views.revenue_page, name="revenue"),
    path("revenue/export.<str:fmt_name>", views.revenue_export, name="revenue_export"),
    path("rates/<int:pk>/", views.rates, name="rates"),
    path("settings/", views.site_settings, name="settings"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
