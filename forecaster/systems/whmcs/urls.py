"""URLs of the apiWHMCS slice, included into the ``systems`` namespace."""

from django.urls import path

from forecaster.systems.whmcs import views

urlpatterns = [
    path("help/whmcs/", views.help_page, name="help_whmcs"),
]
