"""Token login, the login page and lockout after repeated failures."""

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from accounts.models import User

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_login_returns_a_token_that_authenticates(api_client, make_user, password):
    user = make_user(username="li.wei", role=User.Role.DISPATCHER)

    response = api_client.post(TOKEN_URL, {"username": "li.wei", "password": password}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/grids/").status_code == 200


def test_token_login_with_a_wrong_password_says_so(api_client, make_user):
    make_user(username="li.wei")

    response = api_client.post(TOKEN_URL, {"username": "li.wei", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Token.objects.exists()


def test_token_login_without_fields_is_a_clear_400(api_client):
    response = api_client.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "username", "password"}


def test_api_refuses_anonymous_callers(api_client):
    assert api_client.get("/api/v1/grids/").status_code == 401


def test_lockout_after_repeated_failures_even_with_the_right_password(api_client, make_user, password):
    make_user(username="li.wei")
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        response = api_client.post(TOKEN_URL, {"username": "li.wei", "password": "guess"}, format="json")
        assert response.status_code == 400

    response = api_client.post(TOKEN_URL, {"username": "li.wei", "password": password}, format="json")

    assert response.status_code == 429
    assert str(settings.LOGIN_LOCKOUT_SECONDS // 60) in response.json()["detail"]
    assert not Token.objects.exists()


def test_lockout_is_per_username(api_client, make_user, password):
    make_user(username="li.wei")
    make_user(username="wang.fang")
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        api_client.post(TOKEN_URL, {"username": "li.wei", "password": "guess"}, format="json")

    response = api_client.post(TOKEN_URL, {"username": "wang.fang", "password": password}, format="json")

    assert response.status_code == 200


def test_a_success_before_the_limit_resets_the_count(api_client, make_user, password):
    make_user(username="li.wei")
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS - 1):
        api_client.post(TOKEN_URL, {"username": "li.wei", "password": "guess"}, format="json")
    assert (
        api_client.post(TOKEN_URL, {"username": "li.wei", "password": password}, format="json").status_code
        == 200
    )

    api_client.post(TOKEN_URL, {"username": "li.wei", "password": "guess"}, format="json")

    assert (
        api_client.post(TOKEN_URL, {"username": "li.wei", "password": password}, format="json").status_code
        == 200
    )


def test_login_page_logs_in_and_locks_out(client, make_user, password):
    make_user(username="li.wei", role=User.Role.DISPATCHER)

    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()  # Simplified Chinese by default

    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        client.post("/accounts/login/", {"username": "li.wei", "password": "guess"})
    locked = client.post("/accounts/login/", {"username": "li.wei", "password": password})

    assert locked.status_code == 200  # the form again, with the reason
    assert "锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_success_goes_to_the_users_own_page(client, make_user, password):
    make_user(username="li.wei", role=User.Role.DISPATCHER)

    response = client.post("/accounts/login/", {"username": "li.wei", "password": password})

    assert response.status_code == 302
    assert response["Location"] == "/"  # accounts.views.home: by role
    assert client.get("/")["Location"] == "/console/"


def test_screen_sends_anonymous_users_to_the_login_page(client):
    response = client.get("/screen/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/screen/")
