"""Dashboards, drill-downs, partner pages and CSV (namespace ``dashboards``).

Who may use each: tests/test_access_matrix.py.
"""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/heatmap/<id:partner_id>/<str:code>/", views.heatmap_cell, name="heatmap-cell"),
    path("dashboard/matrix/<str:side>/<level:likelihood>/<level:impact>/", views.matrix_cell, name="matrix-cell"),
    path("dashboard/export/<slug:chart>.csv", views.export, name="export"),
    path("dashboard/agreements/<id:pk>/<slug:chart>.csv", views.agreement_export, name="agreement-export"),
    path("my-work/", views.analyst_home, name="analyst-home"),
    path("partners/<id:pk>/", views.partner_detail, name="partner-detail"),
    path("partners/<id:pk>/profile.csv", views.partner_export, name="partner-export"),
]
