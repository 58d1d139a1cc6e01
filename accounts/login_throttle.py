"""Login throttling (A3): repeated wrong passwords lock an address, and a client address, for a while.

Counters live in the cache (Redis in production), per email address and per client IP, in a fixed
window: LOGIN_FAILURES_PER_EMAIL wrong passwords for one address, or LOGIN_FAILURES_PER_IP from one
IP (someone trying many addresses), lock further attempts until the window ends. A successful
sign-in clears the address's counter. The lock answers like a wrong password would, plus when to
try again, so it does not reveal which addresses exist.

While the cache cannot be reached (Redis restarting) nothing is counted or locked and the sign-in goes
ahead on the password alone, with a warning in the log: locking every user out is worse than a few
minutes without the brute-force brake, and a 500 on the login page helps nobody.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from redis import RedisError

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


def _unless_the_cache_is_away(fallback: Result) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    def decorator(function: Callable[..., Result]) -> Callable[..., Result]:
        @wraps(function)
        def wrapped(*args, **kwargs) -> Result:
            try:
                return function(*args, **kwargs)
            except RedisError as error:
                logger.warning("login failure counts unavailable, %s skipped: %s", function.__name__, error)
                return fallback

        return wrapped

    return decorator


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(_key("email", email), settings.LOGIN_FAILURES_PER_EMAIL)]
    if ip:
        keys.append((_key("ip", ip), settings.LOGIN_FAILURES_PER_IP))
    return keys


@_unless_the_cache_is_away(False)
def is_locked(email: str, ip: str | None) -> bool:
    counts = cache.get_many([key for key, _limit in _keys(email, ip)])
    return any(counts.get(key, 0) >= limit for key, limit in _keys(email, ip))


@_unless_the_cache_is_away(None)
def record_failure(email: str, ip: str | None) -> None:
    for key, _limit in _keys(email, ip):
        # add() starts the window once; incr() never extends it
        if not cache.add(key, 1, timeout=settings.LOGIN_LOCK_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.LOGIN_LOCK_SECONDS)


@_unless_the_cache_is_away(None)
def clear(email: str) -> None:
    cache.delete(_key("email", email))
