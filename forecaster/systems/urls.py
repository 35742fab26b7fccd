from django.urls import path

from forecaster.systems import views

app_name = "systems"
urlpatterns = [
    path("", views.system_list, name="list"),
    path("help/whmcs/", views.help_whmcs, name="help_whmcs"),
]
