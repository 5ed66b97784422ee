"""Statistics pages."""

from django.urls import URLPattern, URLResolver, path, re_path

from . import scene_views, views, weekly_views

WEEK = r"(?P<week>\d{4}-W\d{2})"

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.stats_page, name="stats"),
    path("stats/scenes/", scene_views.scenes_page, name="stats-scenes"),
    path("stats/scenes/<int:pk>/apply/", scene_views.act_on_scene, name="stats-scene-act"),
    path("stats/weekly/", weekly_views.weekly_index, name="stats-weekly"),
    path("stats/weekly/generate/", weekly_views.weekly_generate, name="stats-weekly-generate"),
    re_path(rf"^stats/weekly/{WEEK}/$", weekly_views.weekly_page, name="stats-weekly-page"),
    re_path(
        rf"^stats/weekly/{WEEK}\.(?P<kind>pdf|xlsx|csv)$", weekly_views.weekly_file, name="stats-weekly-file"
    ),
]
