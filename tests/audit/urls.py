"""The project's URLs plus the audit pages, until ``riskboard.urls`` includes them itself."""

from django.urls import include, path

from riskboard.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "audit" for pattern in project_urlpatterns):
    urlpatterns.append(path("audit/", include("audit.urls")))
