from django.urls import path

from forecaster.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/file", views.file, name="file"),
    path("<int:pk>/delete", views.delete, name="delete"),
]
