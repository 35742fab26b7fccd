from django.urls import path

from forecaster.reports import views

app_name = "reports"
urlpatterns = [
    path("revenue/", views.revenue, name="revenue"),
]
