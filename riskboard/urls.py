"""Top-level URL configuration. Who may use each page: tests/test_access_matrix.py."""

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("audit/", include("audit.urls")),
    path("scores/", include("assessments.urls_scores")),
    path("", include("assessments.urls")),
]
