from django.urls import path
from rest_framework.routers import SimpleRouter

from .patrol import PatrolPositionUpload
from .views import CompoundViewSet, GridViewSet

router = SimpleRouter()
router.register("grids", GridViewSet, basename="grid")
router.register("compounds", CompoundViewSet, basename="compound")
urlpatterns = [
    path("patrol-positions/", PatrolPositionUpload.as_view(), name="patrol-positions"),
    *router.urls,
]
