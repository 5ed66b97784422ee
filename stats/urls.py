"""Statistics pages."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.stats_page, name="stats"),
]
