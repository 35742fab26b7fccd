from django.urls import include, path

from forecaster.systems import views

app_name = "systems"
urlpatterns = [
    path("", views.system_list, name="list"),
    path("new/<slug:kind>/", views.system_create, name="create"),
    path("<int:pk>/", views.system_detail, name="detail"),
    path("<int:pk>/panel/", views.system_panel, name="panel"),
    path("<int:pk>/edit/", views.system_edit, name="edit"),
    path("<int:pk>/delete/", views.system_delete, name="delete"),
    path("<int:pk>/test/", views.system_test, name="test"),
    # Pages of each accounting-system type (help pages…).
    path("", include("forecaster.systems.whmcs.urls")),
]
