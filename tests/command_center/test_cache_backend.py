"""The Redis cache backend keeps one redis client per pool and is still an ordinary Django cache."""

import pytest
from django.conf import settings
from django.core.cache import caches

from command_center.cache import ReusedClientRedisCache


@pytest.mark.district("the Redis cache backend")
def test_the_district_profile_uses_the_reusing_backend() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "command_center.cache.ReusedClientRedisCache"
    assert isinstance(caches["default"], ReusedClientRedisCache)


@pytest.mark.district("the Redis cache backend")
def test_one_client_serves_every_call_against_the_real_redis() -> None:
    cache = caches["default"]
    clients = [cache._cache.get_client(write=write) for write in (True, False, True)]  # type: ignore[attr-defined]
    assert all(client is clients[0] for client in clients)
    cache.set("cache-backend-test", {"user": "li.wei"}, 30)
    assert cache.get("cache-backend-test") == {"user": "li.wei"}
    assert cache.get_many(["cache-backend-test", "missing"]) == {"cache-backend-test": {"user": "li.wei"}}
    cache.delete("cache-backend-test")
    assert cache.get("cache-backend-test", "gone") == "gone"
