"""Open311 GeoReport v2 under /open311/v2/ (residents/open311.py); each resource as .json or .xml."""

from django.urls import URLPattern, re_path

from . import open311

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns: list[URLPattern] = [
    re_path(rf"^services{FORMAT}", open311.services_list, name="open311-services"),
    re_path(rf"^services/(?P<code>[\w-]+){FORMAT}", open311.service_definition, name="open311-service"),
    re_path(rf"^requests{FORMAT}", open311.requests_list, name="open311-requests"),
    re_path(rf"^requests/(?P<request_id>\d+){FORMAT}", open311.request_detail, name="open311-request"),
]
