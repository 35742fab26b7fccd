from django.urls import path

from forecaster.sync import views

app_name = "sync"
urlpatterns = [
    path("", views.history, name="history"),
    path("<int:system_id>/", views.history, name="system_history"),
    path("<int:system_id>/start/", views.start, name="start"),
    path("<int:system_id>/controls/", views.controls, name="controls"),
    path("<int:system_id>/cancel/", views.cancel, name="cancel"),
]
