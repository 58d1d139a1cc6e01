"""The sending rate limiter (S8): token buckets per tenant and per recipient domain.

Why:
- Provider quotas. A mail provider (or our own SMTP relay) accepts only so many mails per second
  per account; a tenant's `send_rate_per_second` keeps its campaigns under that, however many
  workers share them. Celery's `rate_limit` is per worker and so useless for a shared quota.
- B2B lists. A list often holds dozens of leads at one company; a burst of mails to one domain
  looks like spam to the receiving server and gets deferred or blocked. So each tenant also has a
  bucket per recipient domain (`SENDING_RATE_PER_DOMAIN`, mails per second).
- Fairness. A bucket never makes anybody sleep: `take` answers at once with what it can grant now
  and, if that is less than asked, how long until the next token. The sender sends what it got and
  re-queues the rest with that delay, so a worker is never held by one tenant's empty bucket and a
  small campaign of another tenant goes out beside a large one.

How: each bucket is a Redis hash {tokens (float), ts (microseconds)} changed by one Lua script,
atomically, on Redis server time (`TIME`), so every worker machine sees the same clock. Tokens are
kept as a float and refilled from the elapsed microseconds, so fractional rates (0.5/s) are exact
over time, not rounded away at every call. Each take sets the key's TTL to the time the bucket
needs to be full again; an expired bucket and a full bucket are the same, so idle buckets vanish
without changing any answer.

Without Redis (the embedded mode, no REDIS_URL) the same buckets live in this process's memory
(`LocalTokenBuckets`), with the same arithmetic on the monotonic clock. The limits then hold per
process only: two processes sending for one tenant may together send twice the rate.

If Redis is configured but unreachable, `take` raises (redis.ConnectionError): the sender fails
rather than sending unthrottled.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis
from django.conf import settings
from redis.commands.core import Script

MICROSECONDS = 1_000_000

# KEYS[1] = bucket; ARGV = rate per second, burst, wanted, now in microseconds ("" = Redis TIME).
# Returns {granted, wait seconds as a string} (Lua numbers would be truncated to integers in the reply).
TAKE_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
if now > last then
  tokens = tokens + (now - last) * rate / 1000000
end
if tokens > burst then
  tokens = burst
end
local granted = math.floor(tokens + 1e-9)
if granted > wanted then
  granted = wanted
end
if granted < 0 then
  granted = 0
end
tokens = tokens - granted
local wait = 0
if granted < wanted then
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1)
return {granted, string.format('%.17g', wait)}
"""
# Notes on the script: a clock that went back (or an older `now`) refills nothing and re-bases the
# bucket on the new time instead of locking it until the old time comes back. The epsilon only
# forgives float noise (1.9999999999 tokens grant 2); the debt stays in the bucket, so nothing is
# granted beyond the rate over time.

EPSILON = 1e-9


@dataclass(frozen=True)
class Grant:
    """`granted` tokens (0..wanted) taken now; if fewer than wanted, the next token comes in `wait_seconds`."""

    granted: int
    wait_seconds: float


# one bucket's take: (key, rate per second, burst, wanted)
TakeRequest = tuple[str, float, int, int]


class TokenBuckets(Protocol):
    def take(self, key: str, rate_per_second: float, burst: int, wanted: int, now: float | None = None) -> Grant: ...

    def take_many(self, requests: list[TakeRequest]) -> list[Grant]: ...


def _check(rate_per_second: float, burst: int, wanted: int) -> None:
    if not rate_per_second > 0:
        raise ValueError(f"rate_per_second must be > 0, not {rate_per_second!r}")
    if burst < 1:
        raise ValueError(f"burst must be >= 1, not {burst!r}")
    if wanted < 0:
        raise ValueError(f"wanted must be >= 0, not {wanted!r}")


_script: Script | None = None
_script_lock = threading.Lock()


def _take_script(client: redis.Redis) -> Script:
    """The Lua script, registered once per process (EVALSHA; loaded again on a server that lost it)."""
    global _script
    with _script_lock:
        if _script is None:
            _script = client.register_script(TAKE_LUA)
        return _script


class RedisTokenBuckets:
    """Buckets shared by every process that talks to this Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.script = _take_script(client)

    def take(self, key: str, rate_per_second: float, burst: int, wanted: int, now: float | None = None) -> Grant:
        """Take up to `wanted` tokens; `now` (Unix seconds) is for tests, by default Redis server time counts."""
        _check(rate_per_second, burst, wanted)
        if wanted == 0:
            return Grant(0, 0.0)
        args = _script_args(rate_per_second, burst, wanted, now)
        return _grant(self.script(keys=[key], args=args, client=self.client))

    def take_many(self, requests: list[TakeRequest]) -> list[Grant]:
        """Several takes in one round trip (a pipeline of the same script), each atomic on its own."""
        pipeline = self.client.pipeline(transaction=False)
        asked = []
        for key, rate_per_second, burst, wanted in requests:
            _check(rate_per_second, burst, wanted)
            if wanted:
                self.script(keys=[key], args=_script_args(rate_per_second, burst, wanted), client=pipeline)
                asked.append(key)
        answers = iter(pipeline.execute() if asked else [])
        return [_grant(next(answers)) if wanted else Grant(0, 0.0) for _key, _rate, _burst, wanted in requests]


def _script_args(rate_per_second: float, burst: int, wanted: int, now: float | None = None) -> list:
    now_arg = "" if now is None else str(round(now * MICROSECONDS))  # empty: Redis server time
    return [repr(float(rate_per_second)), burst, wanted, now_arg]


def _grant(answer: list) -> Grant:
    granted, wait = answer
    return Grant(int(granted), float(wait))


@dataclass
class _LocalBucket:
    tokens: float
    last: float  # seconds on the bucket's clock
    expires: float


class LocalTokenBuckets:
    """The same buckets in this process's memory (embedded mode): limits hold per process only."""

    SWEEP_EVERY = 1.0  # seconds between looks for buckets that are full again

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, _LocalBucket] = {}
        self._lock = threading.Lock()
        self._last_sweep = -math.inf

    def take(self, key: str, rate_per_second: float, burst: int, wanted: int, now: float | None = None) -> Grant:
        """Take up to `wanted` tokens; `now` (seconds) is for tests, by default the monotonic clock counts."""
        _check(rate_per_second, burst, wanted)
        if wanted == 0:
            return Grant(0, 0.0)
        with self._lock:
            now = self.clock() if now is None else now
            self._forget_expired(now)
            bucket = self._buckets.get(key)
            if bucket is None or bucket.expires <= now:
                bucket = _LocalBucket(tokens=float(burst), last=now, expires=now)
            tokens = min(float(burst), bucket.tokens + max(0.0, now - bucket.last) * rate_per_second)
            granted = max(0, min(wanted, math.floor(tokens + EPSILON)))
            tokens -= granted
            self._buckets[key] = _LocalBucket(tokens, now, expires=now + (burst - tokens) / rate_per_second)
        wait = (1 - tokens) / rate_per_second if granted < wanted else 0.0
        return Grant(granted, wait)

    def take_many(self, requests: list[TakeRequest]) -> list[Grant]:
        return [self.take(*request) for request in requests]

    def _forget_expired(self, now: float) -> None:
        if abs(now - self._last_sweep) < self.SWEEP_EVERY:
            return
        self._last_sweep = now
        expired = [key for key, bucket in self._buckets.items() if bucket.expires <= now]
        for key in expired:
            del self._buckets[key]

    def __len__(self) -> int:
        """Buckets not yet full again (the others are forgotten on the next take)."""
        with self._lock:
            now = self.clock()
            return sum(1 for bucket in self._buckets.values() if bucket.expires > now)


_local_buckets = LocalTokenBuckets()  # one per process, shared by every SendThrottle without Redis


def tenant_key(tenant_id: int) -> str:
    return f"okuru:throttle:tenant:{tenant_id}"


def domain_key(tenant_id: int, domain: str) -> str:
    return f"okuru:throttle:domain:{tenant_id}:{domain.strip().lower()}"


def burst_for(rate_per_second: float) -> int:
    """One second's worth of tokens, at least one."""
    return max(1, math.ceil(rate_per_second))


class SendThrottle:
    """The sender's limits for one tenant: its `send_rate_per_second`, and a rate per recipient domain."""

    def __init__(
        self,
        client: redis.Redis | None,
        tenant_id: int,
        send_rate_per_second: float,
        domain_rate_per_second: float | None = None,
    ) -> None:
        self.buckets: TokenBuckets = RedisTokenBuckets(client) if client is not None else _local_buckets
        self.tenant_id = tenant_id
        self.tenant_rate = float(send_rate_per_second)
        if domain_rate_per_second is None:
            domain_rate_per_second = settings.SENDING_RATE_PER_DOMAIN
        self.domain_rate = float(domain_rate_per_second)

    def take_for_tenant(self, wanted: int) -> Grant:
        """Up to `wanted` mails of this tenant may go out now."""
        return self.buckets.take(tenant_key(self.tenant_id), self.tenant_rate, burst_for(self.tenant_rate), wanted)

    def take_for_domain(self, domain: str, wanted: int = 1) -> Grant:
        """How many of `wanted` mails of this tenant to `domain` may go out now."""
        return self.take_for_domains({domain: wanted})[domain]

    def take_for_domains(self, wanted: dict[str, int]) -> dict[str, Grant]:
        """`take_for_domain` for every domain of a batch at once (one Redis round trip)."""
        burst = burst_for(self.domain_rate)
        requests = [(domain_key(self.tenant_id, domain), self.domain_rate, burst, n) for domain, n in wanted.items()]
        return dict(zip(wanted, self.buckets.take_many(requests), strict=True))


def redis_client() -> redis.Redis | None:
    """This process's client for settings.REDIS_URL, or None without REDIS_URL (embedded mode)."""
    url = settings.REDIS_URL
    return _client_for(url) if url else None


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
