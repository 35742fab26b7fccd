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
    path("users/<int:pk>/reactivate/", views.reactivate_user, name="reactivate"),
    path("users/<int:pk>/role/", views.change_role, name="role"),
    path("users/<int:pk>/password/", views.reset_password, name="reset_password"),
    path("password_change/", views.OwnPasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", views.OwnPasswordChangeDoneView.as_view(), name="password_change_done"),
]
