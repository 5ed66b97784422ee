"""Token authentication with the token → user lookup kept in the cache for a short while.

DRF's TokenAuthentication runs a query per request; the hot reads (case list and detail) are cheap enough
that this query was a tenth of their cost. The cache (Redis in the district profile, shared by every
worker) keeps the user for API_TOKEN_CACHE_SECONDS; deleting a token and saving or deleting its user drop
the entry at once, so a revoked token or a deactivated user is refused on the next request. Changes that
bypass signals (`QuerySet.update`) take effect within the TTL.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User


def cache_key(token_key: str) -> str:
    # A digest, not the token itself: whoever reads the cache does not get working credentials.
    return "api-token:" + hashlib.sha256(token_key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        ttl = settings.API_TOKEN_CACHE_SECONDS
        found: tuple[Any, Any] | None = cache.get(cache_key(key)) if ttl else None
        if found is not None:
            return found
        try:
            # The password hash is not needed here, and so does not travel to the cache.
            token = Token.objects.select_related("user").defer("user__password").get(key=key)
        except Token.DoesNotExist:
            raise AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if ttl:
            cache.set(cache_key(key), (token.user, token), ttl)
        return token.user, token


@receiver(post_delete, sender=Token)
def forget_deleted_token(sender: type[Token], instance: Token, **kwargs: Any) -> None:
    cache.delete(cache_key(instance.key))


@receiver(post_save, sender=User)
def forget_tokens_of_saved_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    # A login only stamps last_login: nothing the cached user is checked or scoped by.
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    keys = Token.objects.filter(user=instance).values_list("key", flat=True)
    cache.delete_many([cache_key(key) for key in keys])
