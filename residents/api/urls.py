"""The residents API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("resident-reports/", views.ReportCreateView.as_view(), name="resident-report-create"),
    path("resident-reports/nearby/", views.NearbyView.as_view(), name="resident-report-nearby"),
    path("resident-reports/<str:tracking_code>/", views.TrackingView.as_view(), name="resident-report"),
    path(
        "resident-reports/<str:tracking_code>/rating/",
        views.RatingView.as_view(),
        name="resident-report-rating",
    ),
    path("cases/<str:id>/resident-reports/", views.CaseReportsView.as_view(), name="case-resident-reports"),
]
