""""Explain a score" pages, namespace ``scores``.

Included by ``riskboard.urls`` as ``path("scores/", include("assessments.urls_scores"))``.
"""

from django.urls import path

from .views import scores

app_name = "scores"

urlpatterns = [
    path("", scores.portfolio_score, name="portfolio"),
    path("agreements/<id:pk>/", scores.agreement_score, name="agreement"),
    path("partners/<id:pk>/", scores.partner_score, name="partner"),
    path("categories/<str:code>/", scores.category_score, name="category"),
]
