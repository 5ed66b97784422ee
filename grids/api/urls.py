from rest_framework.routers import SimpleRouter

from .views import CompoundViewSet, GridViewSet

router = SimpleRouter()
router.register("grids", GridViewSet, basename="grid")
router.register("compounds", CompoundViewSet, basename="compound")
urlpatterns = router.urls
