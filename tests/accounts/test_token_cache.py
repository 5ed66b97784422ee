"""API tokens: the token → user lookup is cached, and revoking or deactivating takes effect at once."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.authtoken.models import Token

from accounts.api.authentication import cache_key
from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


@pytest.fixture
def token(make_user) -> Token:  # type: ignore[no-untyped-def]
    return Token.objects.create(user=make_user(username="li.wei", role=User.Role.DISPATCHER))


@pytest.fixture
def client(api_client, token):  # type: ignore[no-untyped-def]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def token_queries(client) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return sum('"authtoken_token"' in query["sql"] for query in queries.captured_queries)


def test_the_token_is_looked_up_once_then_cached(client) -> None:  # type: ignore[no-untyped-def]
    assert token_queries(client) == 1
    assert token_queries(client) == 0


@override_settings(API_TOKEN_CACHE_SECONDS=0)
def test_no_cache_when_the_ttl_is_zero(client) -> None:  # type: ignore[no-untyped-def]
    assert token_queries(client) == 1
    assert token_queries(client) == 1


def test_a_deleted_token_is_refused_at_once(client, token) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 200
    token.delete()
    assert client.get(URL).status_code == 401


def test_a_deleted_user_is_refused_at_once(client, token) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 200
    token.user.delete()
    assert client.get(URL).status_code == 401


def test_a_deactivated_user_is_refused_at_once(client, token) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 200
    user = User.objects.get(pk=token.user_id)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_saving_the_user_drops_the_cached_entry_but_a_login_does_not(client, token) -> None:  # type: ignore[no-untyped-def]
    client.get(URL)
    user = User.objects.get(pk=token.user_id)
    user.save(update_fields=["last_login"])
    assert cache.get(cache_key(token.key)) is not None
    user.role = User.Role.HANDLER  # e.g. a new role: scoping must see it on the next request
    user.save()
    assert cache.get(cache_key(token.key)) is None


def test_the_cached_user_carries_no_password_hash(client, token) -> None:  # type: ignore[no-untyped-def]
    client.get(URL)
    user, _token = cache.get(cache_key(token.key))
    assert user.pk == token.user_id
    assert "password" in user.get_deferred_fields()


def test_an_unknown_token_is_refused(api_client, token) -> None:  # type: ignore[no-untyped-def]
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api_client.get(URL).status_code == 401
