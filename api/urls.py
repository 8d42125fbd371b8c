"""The REST API, version 1, under /api/v1/ (namespace ``api-v1``). Who may use each endpoint:
tests/api/test_access_matrix.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from riskboard.dashboards.api import HeatmapApi

from .views import not_found

app_name = "api-v1"

# The schema and its documentation are public: they describe the API, they hold no data.
schema_view = SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[])
docs_view = SpectacularSwaggerSplitView.as_view(
    url_name="api-v1:schema", permission_classes=[AllowAny], authentication_classes=[]
)

urlpatterns = [
    path("v1/", include("catalogue.api.urls")),
    path("v1/", include("assessments.api.urls")),
    path("v1/heatmap/", HeatmapApi.as_view(), name="heatmap"),
    path("v1/schema/", login_not_required(schema_view), name="schema"),
    path("v1/docs/", login_not_required(docs_view), name="docs"),
    re_path(r"^[\s\S]*\Z", not_found, name="not-found"),  # any path, even one with a newline in it
]
