from rest_framework.routers import SimpleRouter

from .views import AgreementViewSet, AssessmentViewSet, PartnerViewSet

router = SimpleRouter()
router.register("partners", PartnerViewSet, basename="partner")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("assessments", AssessmentViewSet, basename="assessment")

urlpatterns = router.urls
