"""Statistics pages."""

from django.urls import URLPattern, URLResolver, path

from . import scene_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.stats_page, name="stats"),
    path("stats/scenes/", scene_views.scenes_page, name="stats-scenes"),
    path("stats/scenes/<int:pk>/apply/", scene_views.act_on_scene, name="stats-scene-act"),
]
