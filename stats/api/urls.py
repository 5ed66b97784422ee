"""The stats API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from .views import StatisticsView, WeeklyKpisView

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/weekly/", WeeklyKpisView.as_view(), name="stats-weekly-api"),
    path("stats/kpis/", StatisticsView.as_view(), name="stats-kpis-api"),
]
