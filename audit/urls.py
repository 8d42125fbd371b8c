from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.history_global, name="global"),
    path("<str:model_label>/<id:pk>/", views.history_object, name="object"),
]
