""""Explain a score" pages, namespace ``scores``.

Included by ``riskboard.urls`` as ``path("scores/", include("assessments.urls_scores"))``.
"""

from django.urls import path

from . import views_scores

app_name = "scores"

urlpatterns = [
    path("", views_scores.portfolio_score, name="portfolio"),
    path("agreements/<id:pk>/", views_scores.agreement_score, name="agreement"),
    path("partners/<id:pk>/", views_scores.partner_score, name="partner"),
    path("categories/<str:code>/", views_scores.category_score, name="category"),
]
