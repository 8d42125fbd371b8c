"""Dashboards, drill-downs, partner pages and CSV (namespace ``dashboards``).

Who may use each: tests/test_access_matrix.py.
"""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/heatmap/<int:partner_id>/<str:code>/", views.heatmap_cell, name="heatmap-cell"),
    path("dashboard/matrix/<str:side>/<int:likelihood>/<int:impact>/", views.matrix_cell, name="matrix-cell"),
    path("dashboard/export/<slug:chart>.csv", views.export, name="export"),
    path("dashboard/agreements/<int:pk>/<slug:chart>.csv", views.agreement_export, name="agreement-export"),
    path("my-work/", views.analyst_home, name="analyst-home"),
    path("partners/<int:pk>/", views.partner_detail, name="partner-detail"),
    path("partners/<int:pk>/profile.csv", views.partner_export, name="partner-export"),
]
