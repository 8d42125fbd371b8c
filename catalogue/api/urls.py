from rest_framework.routers import SimpleRouter

from .views import CatalogueViewSet

router = SimpleRouter()
router.register("catalogues", CatalogueViewSet, basename="catalogue")

urlpatterns = router.urls
