"""Login lockout, by (username, client address) and by client address (OWASP authentication guidance).

- LOGIN_LOCKOUT_ATTEMPTS failures for one username from one address lock that username for that address
  only: an attacker elsewhere cannot lock the owner out.
- LOGIN_LOCKOUT_ADDRESS_ATTEMPTS failures from one address, whatever the usernames, lock the address:
  spraying one password over many accounts is limited.
Both count within LOGIN_LOCKOUT_SECONDS from the first failure. The client address is REMOTE_ADDR, or the
address a trusted reverse proxy (TRUSTED_PROXIES) put in X-Forwarded-For; IPv6 counts by /64.

Counters are atomic in the cache: one MULTI of SET NX EX + INCR on Redis (district profile, shared by every
gunicorn worker), add + incr under the local-memory cache's lock (standalone). The login page, the admin's
login and the token endpoint all go through `LockoutModelBackend`; the page and the endpoint ask
`login_refusal()` first to say why. An administrator unlocks a username with the user admin's action.
"""

import hashlib
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache, caches
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from command_center.cache import ReusedClientRedisCache

UNKNOWN_ADDRESS = "unknown"  # authenticate() called without a request (shell, scripts)


# --- Client address -------------------------------------------------------------------------------


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy, the rightmost address of
    X-Forwarded-For that is not one (each proxy appends the address it saw; the left part is the
    client's to invent). An IPv6 client counts as its /64, the block one subscriber gets."""
    if request is None:
        return UNKNOWN_ADDRESS
    address = _parse(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return UNKNOWN_ADDRESS
    trusted = _networks(settings.TRUSTED_PROXIES)
    if trusted:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        while any(address in network for network in trusted) and forwarded:
            hop = _parse(forwarded.pop())
            if hop is None:
                break  # a malformed entry: keep the last address a trusted proxy vouched for
            address = hop
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# --- Counters -------------------------------------------------------------------------------------


def _digest(text: str) -> str:
    """Any username (up to what a form accepts) as a short, cache-safe key part."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _normal(username: str) -> str:
    return username.strip().lower()


def _generation(username: str) -> int:
    """Bumped by an unlock: the username's counters at every address become unreachable at once (the
    cache API cannot list keys) and expire on their own."""
    return int(cache.get(f"login-generation:{_digest(_normal(username))}", 0))


def _pair_key(username: str, address: str) -> str:
    name = _normal(username)
    return f"login-failures:{_generation(name)}:{_digest(name)}:{_digest(address)}"


def _address_key(address: str) -> str:
    return f"login-failures-address:{_digest(address)}"


def _count(key: str) -> int:
    """Add one failure to `key`, whose window starts at its first failure; the new count."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    backend = caches["default"]
    if isinstance(backend, ReusedClientRedisCache):
        # One transaction: create with the window's expiry if absent, then increment (keeps the expiry).
        # The cache API's add() and incr() are two calls, and Django's Redis incr() checks existence first:
        # an expiry in between re-created the key without one, a lockout for ever.
        full_key = backend.make_and_validate_key(key)
        pipeline = backend.client().pipeline(transaction=True)
        pipeline.set(full_key, 0, ex=window, nx=True)
        pipeline.incr(full_key)
        return int(pipeline.execute()[1])
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def _failures(*keys: str) -> list[int]:
    found = cache.get_many(keys)
    return [int(found.get(key, 0)) for key in keys]


def lockout_minutes() -> int:
    return max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)


def login_refusal(username: str, address: str) -> str | None:
    """Why a login of `username` from `address` is refused now (in the user's language), or None."""
    by_pair, by_address = _failures(_pair_key(username, address), _address_key(address))
    if by_address >= settings.LOGIN_LOCKOUT_ADDRESS_ATTEMPTS:
        return _("Too many failed logins from your address. Try again in %(minutes)s minutes.") % {
            "minutes": lockout_minutes()
        }
    if username and by_pair >= settings.LOGIN_LOCKOUT_ATTEMPTS:
        return _(
            "Too many failed logins. This account is locked for %(minutes)s minutes from your address."
        ) % {"minutes": lockout_minutes()}
    return None


def record_failed_login(username: str, address: str) -> None:
    _count(_pair_key(username, address))
    _count(_address_key(address))


def record_successful_login(username: str, address: str) -> None:
    """The owner's own failures from here are forgiven; the address's count is not (a sprayer holding
    one valid account must not reset it)."""
    cache.delete(_pair_key(username, address))


def unlock_username(username: str) -> None:
    """Forget the username's failures at every address (the user admin's unlock action)."""
    key = f"login-generation:{_digest(_normal(username))}"
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # cleared in between
        cache.set(key, 1, timeout=None)


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing locked logins and counting failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        if username is None:
            username = kwargs.get(self._username_field(), "")
        address = client_address(request)
        if login_refusal(username or "", address) is not None:
            raise PermissionDenied("locked out")  # authenticate() stops here: no other backend is asked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failed_login(username or "", address)
        else:
            record_successful_login(username or "", address)
        return user

    @staticmethod
    def _username_field() -> str:
        return str(get_user_model().USERNAME_FIELD)
