"""The people API under /api/v1/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from .views import (
    AccessLogViewSet,
    BuildingViewSet,
    CarePersonViewSet,
    FlatViewSet,
    RentalViewSet,
    ShopViewSet,
    VisitViewSet,
)

router = SimpleRouter()
router.register("buildings", BuildingViewSet, basename="building")
router.register("flats", FlatViewSet, basename="flat")
router.register("rentals", RentalViewSet, basename="rental")
router.register("shops", ShopViewSet, basename="shop")
router.register("care-persons", CarePersonViewSet, basename="care-person")
router.register("visits", VisitViewSet, basename="visit")
router.register("access-log", AccessLogViewSet, basename="access-log")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
