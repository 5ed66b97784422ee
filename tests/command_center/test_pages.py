"""What a newcomer meets: each role lands on its own page after logging in; 403, 404 and 500 in the
site's layout and language with a way home; a favicon; a Content-Security-Policy without inline
scripts on every page type."""

import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from accounts.models import User
from accounts.views import LANDING_PAGES
from command_center.settings import _tile_source
from tests.factories import PASSWORD, UserFactory

LANDINGS = [
    (User.Role.DISPATCHER, False, "/console/"),
    (User.Role.ADMIN, True, "/admin/"),
    (User.Role.OFFICIAL, False, "/screen/"),
    (User.Role.GRID_WORKER, False, "/m/"),
    (User.Role.HANDLER, False, "/m/"),
    (User.Role.GATE_GUARD, False, "/m/"),
]


def log_in(client: Client, user: User) -> str:
    """Logs in through the login form (as a browser does, without `next`); the final page's path."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200, response.status_code
    return response.redirect_chain[-1][0] if response.redirect_chain else ""


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "staff", "page"), LANDINGS)
def test_each_role_lands_on_its_own_page_after_logging_in(client, role, staff, page) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"new-{role}", role=role, is_staff=staff)
    assert log_in(client, user) == page
    assert client.get(page).status_code == 200  # and may open it


def test_every_role_has_a_landing_page() -> None:
    assert set(LANDING_PAGES) == set(User.Role.values)


@pytest.mark.django_db
def test_an_admin_without_staff_status_lands_on_the_console(client) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username="half-admin", role=User.Role.ADMIN, is_staff=False)
    assert log_in(client, user) == "/console/"


@pytest.mark.django_db
def test_the_login_page_names_no_fixed_next_page(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/accounts/login/").content.decode()
    assert 'name="next" value="/screen/"' not in html
    assert 'name="next" value="/console/"' in client.get("/accounts/login/?next=/console/").content.decode()


def assert_site_layout(html: str) -> None:
    assert '<html lang="zh-hans">' in html
    assert "/static/css/app.css" in html
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert "街道综合指挥中心" in html


@pytest.mark.django_db
def test_a_role_that_may_not_see_a_page_gets_a_friendly_403_with_a_link_to_its_own(client) -> None:  # type: ignore[no-untyped-def]
    handler = UserFactory(username="handler-403", role=User.Role.HANDLER)
    client.force_login(handler)
    response = client.get("/screen/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_site_layout(html)
    assert "此页面不对您的角色开放" in html
    assert "大屏仅供" in html  # the reason, in Chinese
    assert 'href="/m/"' in html  # the handler's own page
    assert "403 Forbidden" not in html


@pytest.mark.django_db
def test_404_is_in_the_site_layout_and_language(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_site_layout(html)
    assert "页面不存在" in html
    assert 'href="/accounts/login/"' in html  # nobody logged in: the way in


def test_500_renders_in_the_site_layout_without_the_database() -> None:
    """No django_db mark: any query here fails the test."""
    with translation.override("zh-hans"):
        response = server_error(RequestFactory().get("/broken/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert_site_layout(html)
    assert "系统出了点问题" in html
    assert 'href="/"' in html


@pytest.mark.django_db
def test_a_stale_form_gets_a_page_in_the_site_layout_not_a_bare_403() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_site_layout(html)
    assert "表单已过期" in html


@pytest.mark.django_db
def test_the_favicon_is_linked_and_answers_at_favicon_ico(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/accounts/login/").content.decode()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.mark.django_db
def test_every_page_type_carries_a_csp_without_inline_scripts(client) -> None:  # type: ignore[no-untyped-def]
    from tests.screen.conftest import make_case

    admin = UserFactory(username="csp-admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    case = make_case(None, status="filed")
    anonymous = ["/accounts/login/", "/no-such-page/"]
    pages = [
        "/console/",
        "/screen/",
        "/admin/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/api/docs/",
        "/api/docs/?script=",
        "/api/v1/cases/?format=api",
        "/console/photos/999999/",
    ]
    for path in anonymous:
        check_csp(client.get(path), path)
    client.force_login(admin)
    for path in pages:
        check_csp(client.get(path), path)
    handler = UserFactory(username="csp-handler", role=User.Role.HANDLER)
    client.force_login(handler)
    check_csp(client.get("/screen/"), "403")


def check_csp(response, path: str) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    policy = response.get("Content-Security-Policy", "")
    directives = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, _sep, value = part.partition(" ")
        directives[name] = value
    assert "script-src" in directives, (path, policy)
    assert directives["script-src"] == "'self'", (path, policy)
    assert "'unsafe-inline'" not in directives.get("default-src", ""), (path, policy)
    assert directives.get("object-src") == "'none'", path
    assert directives.get("frame-ancestors") == "'none'", path
    assert set(_tile_source(settings.MAP_TILES_URL)) <= set(directives.get("img-src", "").split()), path
    if "html" in response.get("Content-Type", ""):
        html = response.content.decode()
        assert not INLINE_SCRIPT.findall(html), (path, INLINE_SCRIPT.findall(html))
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers either


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org"]),
        ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", ["https://*.is.autonavi.com"]),
        ("http://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY", ["http://*.tianditu.gov.cn"]),
        ("http://10.1.2.3:8080/{z}/{x}/{y}.png", ["http://10.1.2.3:8080"]),
        ("", []),
    ],
)
def test_the_policy_lets_the_maps_tiles_in(url: str, source: list[str]) -> None:
    assert _tile_source(url) == source
