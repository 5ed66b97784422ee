from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .views import ACTION_VIEWS, CaseViewSet, CategoryViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("categories", CategoryViewSet, basename="category")

# The id as the router takes it (anything but "/" and "."): a bad one is the view's JSON 404.
urlpatterns = [
    *router.urls,
    *(
        re_path(rf"^cases/(?P<id>[^/.]+)/{name.replace('_', '-')}/$", view.as_view(), name=f"case-{name}")
        for name, view in ACTION_VIEWS.items()
    ),
]
