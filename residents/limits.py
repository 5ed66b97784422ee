"""Rate limits of anonymous residents (accounts.ratelimit): reports per client address and per phone,
and lookups per address. The client address is the one accounts.auth trusts (TRUSTED_PROXIES): a made-up
X-Forwarded-For does not give a caller a fresh count."""

from django.conf import settings
from django.http import HttpRequest

from accounts.auth import client_address
from accounts.ratelimit import hit

# (requests, window in seconds); settings may override each.
DEFAULTS = {
    "report_per_address": (10, 3600),
    "report_per_phone": (5, 3600),
    "lookup_per_address": (300, 3600),
}


def _limit(name: str) -> tuple[int, int]:
    configured = getattr(settings, "RESIDENT_LIMITS", {})
    limit, window = configured.get(name, DEFAULTS[name])
    return int(limit), int(window)


def report_wait(request: HttpRequest) -> int | None:
    """Count an anonymous report from this address: None, or the seconds to wait."""
    limit, window = _limit("report_per_address")
    return hit(f"resident-report:{client_address(request)}", limit, window)


def phone_wait(phone: str) -> int | None:
    """Count a report naming this phone: None, or the seconds to wait."""
    if not phone:
        return None
    limit, window = _limit("report_per_phone")
    return hit(f"resident-report-phone:{phone}", limit, window)


def lookup_wait(request: HttpRequest) -> int | None:
    """Count a tracking lookup, a rating or a nearby search from this address."""
    limit, window = _limit("lookup_per_address")
    return hit(f"resident-lookup:{client_address(request)}", limit, window)
