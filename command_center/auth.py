"""Login lockout: repeated failed logins for one username lock it for a while.

Counted with atomic cache increments (Redis in the district profile), so parallel guesses on several
gunicorn workers all count. Used by the login page and the token endpoint alike, through the backend.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def _failures_key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


def is_locked_out(username: str) -> bool:
    return int(cache.get(_failures_key(username), 0)) >= settings.LOGIN_LOCKOUT_ATTEMPTS


def record_failed_login(username: str) -> int:
    key = _failures_key(username)
    # add() starts the window only for the first failure; incr() is atomic.
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        return 1


def clear_failed_logins(username: str) -> None:
    cache.delete(_failures_key(username))


def lockout_minutes() -> int:
    return max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing locked usernames and counting failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        if username is None:
            username = kwargs.get("username")
        if username and is_locked_out(username):
            raise PermissionDenied("locked out")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username:
            if user is None:
                record_failed_login(username)
            else:
                clear_failed_logins(username)
        return user
