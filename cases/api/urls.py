from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CaseActionView, CaseViewSet, CategoryViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("categories", CategoryViewSet, basename="category")

urlpatterns = [
    *router.urls,
    # One view for every workflow action (not DRF @actions: one named "dispatch" would shadow View.dispatch).
    path("cases/<int:pk>/<slug:action_name>/", CaseActionView.as_view(), name="case-action"),
]
