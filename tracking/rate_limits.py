"""Per-IP request limits of the public endpoints (tracking links, unsubscribe page, provider webhooks).

A fixed one-minute window per client IP and scope, counted in the cache (Redis in production: one
round trip per request, a script that increments and sets the window's expiry). Over the limit the
answer is 429 with Retry-After and nothing is recorded. The limits are generous — a provider's image
proxy fetches for many recipients from few addresses — and exist to stop floods, not readers. 0
switches a scope's limit off. While the cache cannot be reached (Redis restarting) nothing is counted
and every request goes through: an open or an unsubscribe is worth more than the limit
(tests/faults: tracking_redis_restart)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from weakref import WeakKeyDictionary

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from redis import RedisError
from redis.commands.core import Script

from accounts.client_address import client_ip

View = Callable[..., HttpResponse]
WINDOW_SECONDS = 60
logger = logging.getLogger(__name__)


# one atomic round trip: the count, and the window's expiry set by its first request
_COUNT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_count_scripts: WeakKeyDictionary[RedisCache, Script] = WeakKeyDictionary()


def _count_script(backend: RedisCache) -> Script:
    """The counting script on the cache's own connection pool, made once per cache. Django's cache.incr
    builds a new Redis client on every call and asks twice (EXISTS, INCRBY): that cost an open more CPU
    than recording it (bench_tracking_load)."""
    script = _count_scripts.get(backend)
    if script is None:
        client = backend._cache.get_client(write=True)  # the pool RedisCache itself uses
        script = _count_scripts[backend] = client.register_script(_COUNT_SCRIPT)
    return script


def _count(scope: str, ip: str) -> int:
    key = f"rate:{scope}:{ip}:{int(time.time() // WINDOW_SECONDS)}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return int(_count_script(backend)(keys=[backend.make_and_validate_key(key)], args=[WINDOW_SECONDS * 2]))
    try:
        return backend.incr(key)
    except ValueError:  # the window's first request
        if backend.add(key, 1, timeout=WINDOW_SECONDS * 2):
            return 1
        return backend.incr(key)


def _over_limit(scope: str, ip: str, limit: int) -> bool:
    try:
        return _count(scope, ip) > limit
    except RedisError as error:
        logger.warning("request counts unavailable, %s not limited: %s", scope, error)
        return False


def limited_per_ip(scope: str, setting: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            limit = getattr(settings, setting)
            ip = client_ip(request)
            if limit and ip and _over_limit(scope, ip, limit):
                response = HttpResponse("too many requests\n", status=429, content_type="text/plain")
                response["Retry-After"] = str(WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
