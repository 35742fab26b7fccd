from django.urls import path

from forecaster.language import views

app_name = "language"
urlpatterns = [path("", views.set_language, name="set")]
