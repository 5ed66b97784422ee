"""Fixed-window rate limits on the shared cache: atomic under concurrency.

`hit(key, limit, window)` counts one request in the current window of `window` seconds and answers None
while the count is within `limit`, else the seconds until the window ends (for Retry-After). The window's
number is part of the key, so a key is never reused after it expires: cache.add creates it (SET NX on
Redis, under the lock of the local-memory cache) and cache.incr counts atomically (INCR on Redis).
"""

import hashlib
import math
import time

from django.core.cache import cache


def _key(key: str, window: int, number: int) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"ratelimit:{window}:{number}:{digest}"


def hit(key: str, limit: int, window: int) -> int | None:
    """Count a request for `key`; None when allowed, else the seconds to wait (at least 1)."""
    now = time.time()
    number = int(now // window)
    full_key = _key(key, window, number)
    # Kept twice the window: it cannot expire between add() and incr() within its own window.
    cache.add(full_key, 0, timeout=window * 2)
    try:
        count = cache.incr(full_key)
    except ValueError:  # evicted in between (a full local-memory cache): count afresh
        cache.add(full_key, 1, timeout=window * 2)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((number + 1) * window - now))
