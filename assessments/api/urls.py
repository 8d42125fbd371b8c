from django.urls import path
from rest_framework.routers import SimpleRouter

from .score_views import AgreementScoreViewSet, CategoryScoreViewSet, PartnerScoreViewSet, PortfolioScoreApi
from .views import AgreementViewSet, AssessmentViewSet, PartnerViewSet

router = SimpleRouter()
router.register("partners", PartnerViewSet, basename="partner")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("scores/agreements", AgreementScoreViewSet, basename="score-agreement")

urlpatterns = [
    *router.urls,
    # Lists only: partner and category scores are rows of the caller's teams summed, not objects.
    path("scores/partners/", PartnerScoreViewSet.as_view({"get": "list"}), name="score-partner-list"),
    path("scores/categories/", CategoryScoreViewSet.as_view({"get": "list"}), name="score-category-list"),
    path("scores/portfolio/", PortfolioScoreApi.as_view(), name="score-portfolio"),
]
