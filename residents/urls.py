"""Residents' public pages: the report page, a report's tracking page and the public photos."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "residents"

urlpatterns: list[URLPattern | URLResolver] = [
    path("report/", views.report_page, name="report"),
    path("report/area.json", views.area, name="area"),
    path("report/photos/<int:photo_id>/", views.public_photo, name="photo"),
    path("mediation/<int:order_id>/agreement.pdf", views.agreement, name="agreement"),
    path("report/<str:tracking_code>/", views.tracking_page, name="tracking"),
]
