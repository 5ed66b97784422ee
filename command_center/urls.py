"""The project's URLs: each app's, the API under /api/v1/, the admin, the schema and its docs."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from accounts.api.views import ObtainTokenView
from accounts.forms import LockoutAuthenticationForm
from command_center.api.views import not_found
from devices.views import health
from screen import urls as screen_urls

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    *screen_urls.api_urlpatterns,
    path("", include("grids.api.urls")),
    path("", include("devices.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("residents.api.urls")),
    path("", include("people.api.urls")),
    path("", include("stats.api.urls")),
    path("", include("mobile.api.urls")),
    # Last: whatever else ends in a slash is a JSON 404 (without one, APPEND_SLASH still redirects).
    re_path(r"^.*/$", not_found),
]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links: the SVG icon.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("health/", health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(screen_urls.urlpatterns)),
    path("", include("cases.urls")),  # the dispatcher console
    path("", include("residents.urls")),
    path("open311/v2/", include("residents.open311_urls")),
    path("", include("people.urls")),
    path("", include("stats.urls")),
    path("", include("mobile.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
# 500: Django's own handler renders templates/500.html without a request context (no database).
