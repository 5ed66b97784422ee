"""People and places: pages."""

from django.urls import URLPattern, URLResolver, path

from . import ledger_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("people/", views.overview, name="people"),
    path("people/buildings/<int:pk>/", views.building, name="people-building"),
    path("people/shops/<int:pk>/", views.shop, name="people-shop"),
    path("people/care/<int:pk>/", views.care_card, name="people-care"),
    path("people/ledgers/", ledger_views.ledger_page, name="people-ledgers"),
    path("people/files/<slug:kind>/<int:pk>/", views.stored_file, name="people-file"),
]
