from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from command_center import views
from command_center.api.screen import ScreenBasemapView, ScreenSnapshotView
from command_center.api.views import ObtainTokenView, not_found
from command_center.forms import LockoutAuthenticationForm

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("screen/snapshot", ScreenSnapshotView.as_view(), name="screen-snapshot"),
    path("screen/basemap", ScreenBasemapView.as_view(), name="screen-basemap"),
    path("", include("grids.api.urls")),
    path("", include("devices.api.urls")),
    path("", include("cases.api.urls")),
    # Last: whatever else ends in a slash is a JSON 404 (without one, APPEND_SLASH still redirects).
    re_path(r"^.*/$", not_found),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path("screen/", views.screen, name="screen"),
    path("health/", views.health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cases.urls")),  # the dispatcher console
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

handler403 = "command_center.views.permission_denied"
handler404 = "command_center.views.page_not_found"
# 500: Django's own handler renders templates/500.html without a request context (no database).
