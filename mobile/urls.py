"""The phones' web app."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("m/", views.app, name="mobile"),
    path("m/sw.js", views.service_worker, name="mobile-sw"),
    path("m/manifest.webmanifest", views.manifest, name="mobile-manifest"),
]
