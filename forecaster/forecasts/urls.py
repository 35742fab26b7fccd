from django.urls import path

from forecaster.forecasts import views

app_name = "forecasts"
urlpatterns = [
    path("revenue/", views.revenue_page, name="revenue"),
]
