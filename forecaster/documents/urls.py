from django.urls import path

from forecaster.documents import classify, views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/file", views.file, name="file"),
    path("<int:pk>/delete", views.delete, name="delete"),
    path("<int:pk>/classify/<str:kind>/", classify.classify, name="classify"),
    path("<int:pk>/unmap", classify.unmap, name="unmap"),
]
