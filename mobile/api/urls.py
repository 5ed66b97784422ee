"""The mobile API under /api/v1/."""

from django.urls import URLPattern, URLResolver, re_path

from .views import CaseContextView

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^mobile/cases/(?P<id>[^/.]+)/context/$", CaseContextView.as_view(), name="mobile-case-context"),
]
