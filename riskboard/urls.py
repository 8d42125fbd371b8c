"""Top-level URL configuration. Who may use each page: tests/test_access_matrix.py."""

from django.contrib import admin
from django.urls import include, path, register_converter

from . import health, views
from .converters import IdConverter, LevelConverter

# Ids in paths are ``<id:pk>``: bounded, so an oversized number is a 404 (tests/test_bad_input.py).
register_converter(IdConverter, "id")
register_converter(LevelConverter, "level")  # a level of the risk matrix, 1 to 5

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("riskboard.security.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", views.home, name="home"),
    path("audit/", include("audit.urls")),
    path("scores/", include("assessments.urls_scores")),
    path("api/", include("api.urls")),
    path("", include("riskboard.dashboards.urls")),
    path("", include("assessments.urls")),
]
