"""The residents API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from . import callbacks, mediation, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("resident-reports/", views.ReportCreateView.as_view(), name="resident-report-create"),
    path("resident-reports/nearby/", views.NearbyView.as_view(), name="resident-report-nearby"),
    path("resident-reports/<str:tracking_code>/", views.TrackingView.as_view(), name="resident-report"),
    path(
        "resident-reports/<str:tracking_code>/rating/",
        views.RatingView.as_view(),
        name="resident-report-rating",
    ),
    path("mediators/", mediation.MediatorsView.as_view(), name="mediators"),
    path("mediations/", mediation.OrdersView.as_view(), name="mediations"),
    path("mediations/<str:id>/", mediation.OrderView.as_view(), name="mediation"),
    path("mediations/<str:id>/sessions/", mediation.SessionView.as_view(), name="mediation-sessions"),
    path("mediations/<str:id>/outcome/", mediation.OutcomeView.as_view(), name="mediation-outcome"),
    path("mediations/<str:id>/follow-up/", mediation.FollowUpView.as_view(), name="mediation-follow-up"),
    path("callback-tasks/", callbacks.CallbacksView.as_view(), name="callback-tasks"),
    path("callback-tasks/<str:id>/done/", callbacks.CallbackDoneView.as_view(), name="callback-task-done"),
    path("cases/<str:id>/resident-reports/", views.CaseReportsView.as_view(), name="case-resident-reports"),
]
