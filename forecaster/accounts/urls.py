from django.contrib.auth.views import LogoutView
from django.urls import path

from forecaster.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.ForecasterLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("setup/", views.setup, name="setup"),
    path("users/", views.users, name="users"),
    path("users/<int:pk>/deactivate/", views.deactivate_user, name="deactivate"),
]
