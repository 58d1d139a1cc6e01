"""The sending rate limiter (S8): token buckets in Redis, and the in-process fallback without Redis.

Every behaviour runs against both kinds of bucket. Timing is measured on the bucket's own clock
(Redis TIME, or the monotonic clock) and checked against bounds, never against a sleep's length;
where exact numbers matter, the time is given (`now=`).
"""

import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from unittest import mock

import pytest
import redis
from django.conf import settings

from campaigns.throttle import (
    Grant,
    LocalTokenBuckets,
    RedisTokenBuckets,
    SendThrottle,
    TokenBuckets,
    domain_key,
    redis_client,
    tenant_key,
)

EPS = 1e-6
T0 = 1_000_000.0  # a given time (seconds) for the tests that pass `now`


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    connection = redis.Redis.from_url(settings.REDIS_URL)
    yield connection
    connection.close()


@pytest.fixture
def new_key(client: redis.Redis) -> Iterator[Callable[[], str]]:
    """Unique keys for this test, deleted afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(f"okuru:throttle:test:{uuid.uuid4().hex}")
        return made[-1]

    yield make
    if made:
        client.delete(*made)


@dataclass
class Kind:
    buckets: TokenBuckets
    clock: Callable[[], float]  # the clock the buckets refill on, in seconds


def server_clock(client: redis.Redis) -> Callable[[], float]:
    def now() -> float:
        seconds, microseconds = client.time()
        return seconds + microseconds / 1_000_000

    return now


@pytest.fixture(params=["redis", "local"])
def kind(request) -> Kind:
    if request.param == "redis":
        client = request.getfixturevalue("client")
        return Kind(RedisTokenBuckets(client), server_clock(client))
    return Kind(LocalTokenBuckets(), time.monotonic)


@pytest.fixture
def key(kind: Kind, request) -> str:
    if isinstance(kind.buckets, RedisTokenBuckets):
        return request.getfixturevalue("new_key")()
    return f"okuru:throttle:test:{uuid.uuid4().hex}"


# --- the bucket -----------------------------------------------------------------------------------


def test_burst_then_refill_at_the_rate(kind: Kind, key: str):
    started = kind.clock()
    assert kind.buckets.take(key, 10, 10, 10) == Grant(10, 0.0)
    empty = kind.buckets.take(key, 10, 10, 1)
    emptied = kind.clock()
    assert empty.granted == 0
    assert 0.1 - (emptied - started) - EPS <= empty.wait_seconds <= 0.1 + EPS

    time.sleep(0.25)
    asked = kind.clock()
    refilled = kind.buckets.take(key, 10, 10, 10)
    answered = kind.clock()
    # The bucket ran dry somewhere in [started, emptied] and was asked somewhere in [asked, answered].
    assert math.floor(10 * (asked - emptied)) <= refilled.granted <= math.floor(10 * (answered - started) + EPS)
    assert refilled.granted >= 2
    assert refilled.wait_seconds > 0


def test_refill_at_given_times(kind: Kind, key: str):
    assert kind.buckets.take(key, 10, 10, 10, now=T0) == Grant(10, 0.0)
    assert kind.buckets.take(key, 10, 10, 1, now=T0).wait_seconds == pytest.approx(0.1)
    assert kind.buckets.take(key, 10, 10, 1, now=T0 + 0.1).granted == 1
    assert kind.buckets.take(key, 10, 10, 5, now=T0 + 0.25) == Grant(1, pytest.approx(0.05))
    assert kind.buckets.take(key, 10, 10, 5, now=T0 + 10) == Grant(5, 0.0)
    assert kind.buckets.take(key, 10, 10, 20, now=T0 + 10) == Grant(5, pytest.approx(0.1))


def test_fractional_rate(kind: Kind, key: str):
    assert kind.buckets.take(key, 0.5, 1, 1, now=T0) == Grant(1, 0.0)
    assert kind.buckets.take(key, 0.5, 1, 1, now=T0) == Grant(0, pytest.approx(2.0))
    assert kind.buckets.take(key, 0.5, 1, 1, now=T0 + 1) == Grant(0, pytest.approx(1.0))
    assert kind.buckets.take(key, 0.5, 1, 1, now=T0 + 1.999) == Grant(0, pytest.approx(0.001))
    assert kind.buckets.take(key, 0.5, 1, 1, now=T0 + 2) == Grant(1, 0.0)
    assert kind.buckets.take(key, 0.5, 1, 1, now=T0 + 60) == Grant(1, 0.0)  # never more than the burst


@pytest.mark.parametrize(("rate", "step", "steps"), [(1 / 3, 0.1, 1000), (0.7, 0.013, 1000), (2.5, 0.0371, 500)])
def test_fractional_refill_is_exact_over_time(kind: Kind, key: str, rate: float, step: float, steps: int):
    """Asked often, each time for less than a token's worth of time: no fraction is lost or invented.

    A burst of 2 is never reached here (at most 1 + rate * step tokens wait), so all that counts is the refill.
    """
    granted = sum(kind.buckets.take(key, rate, 2, 1, now=T0 + i * step).granted for i in range(steps + 1))
    assert granted == 2 + math.floor(rate * round(steps * step, 6) + EPS)


def test_partial_grants(kind: Kind, key: str):
    assert kind.buckets.take(key, 10, 5, 3, now=T0) == Grant(3, 0.0)
    assert kind.buckets.take(key, 10, 5, 5, now=T0) == Grant(2, pytest.approx(0.1))
    assert kind.buckets.take(key, 10, 5, 10, now=T0 + 0.35) == Grant(3, pytest.approx(0.05))
    assert kind.buckets.take(key, 10, 5, 0, now=T0 + 0.35) == Grant(0, 0.0)


def test_asking_for_more_than_the_burst_gets_the_burst(kind: Kind, key: str):
    assert kind.buckets.take(key, 10, 5, 8, now=T0) == Grant(5, pytest.approx(0.1))


@pytest.mark.parametrize(("rate", "burst", "wanted"), [(0, 1, 1), (-1, 1, 1), (1, 0, 1), (1, 1, -1)])
def test_nonsense_is_refused(kind: Kind, key: str, rate: float, burst: int, wanted: int):
    with pytest.raises(ValueError):
        kind.buckets.take(key, rate, burst, wanted)


def test_a_clock_that_goes_back_refills_nothing_and_does_not_lock_the_bucket(kind: Kind, key: str):
    assert kind.buckets.take(key, 10, 1, 1, now=T0 + 100) == Grant(1, 0.0)
    assert kind.buckets.take(key, 10, 1, 1, now=T0).granted == 0
    assert kind.buckets.take(key, 10, 1, 1, now=T0 + 0.1).granted == 1


def test_concurrent_takers_never_get_more_than_the_rate(kind: Kind, key: str):
    rate, burst, threads, seconds = 50, 10, 8, 1.0
    totals = [0] * threads
    start = threading.Barrier(threads + 1)

    def hammer(index: int) -> None:
        chance = random.Random(index)
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            totals[index] += kind.buckets.take(key, rate, burst, chance.randint(1, 3)).granted

    workers = [threading.Thread(target=hammer, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    began = kind.clock()
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = kind.clock() - began

    assert sum(totals) <= rate * elapsed + burst
    assert sum(totals) >= 0.8 * rate * seconds  # and the bucket really was used at its rate


# --- Redis specifics -----------------------------------------------------------------------------


def test_the_bucket_is_a_hash_of_float_tokens_and_a_timestamp(client: redis.Redis, new_key):
    key = new_key()
    RedisTokenBuckets(client).take(key, 0.5, 2, 1, now=T0)
    state = client.hgetall(key)
    assert float(state[b"tokens"]) == 1.0
    assert int(state[b"ts"]) == round(T0 * 1_000_000)
    RedisTokenBuckets(client).take(key, 0.5, 2, 1, now=T0 + 0.3)
    assert float(client.hget(key, "tokens")) == pytest.approx(0.15)


def test_keys_expire_once_the_bucket_would_be_full_again(client: redis.Redis, new_key):
    buckets = RedisTokenBuckets(client)
    fast, slow, half = new_key(), new_key(), new_key()
    assert buckets.take(fast, 20, 5, 5).granted == 5
    assert 0 < client.pttl(fast) <= 251  # 5 tokens at 20/s
    assert buckets.take(slow, 0.5, 1, 1).granted == 1
    assert 1500 < client.pttl(slow) <= 2001  # 1 token at 0.5/s
    assert buckets.take(half, 10, 10, 3).granted == 3
    assert 0 < client.pttl(half) <= 301  # 3 tokens at 10/s
    assert buckets.take(half, 10, 10, 1).granted == 1
    assert 301 < client.pttl(half) <= 401  # every take sets the TTL again

    time.sleep(0.45)
    assert not client.exists(fast)  # gone: the same as a full bucket
    assert client.exists(slow)
    assert buckets.take(fast, 20, 5, 10).granted == 5


def test_server_time_counts_not_the_given_clock_of_the_caller(client: redis.Redis, new_key):
    key = new_key()
    buckets = RedisTokenBuckets(client)
    assert buckets.take(key, 1, 1, 1).granted == 1
    stored = int(client.hget(key, "ts"))
    seconds, microseconds = client.time()
    assert abs(seconds * 1_000_000 + microseconds - stored) < 1_000_000


# --- in-process specifics ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_local_buckets_are_forgotten_once_full_again():
    clock = FakeClock()
    buckets = LocalTokenBuckets(clock)
    buckets.take("a", 100, 5, 5)
    buckets.take("b", 0.5, 1, 1)
    assert len(buckets) == 2
    clock.now += 0.06
    assert len(buckets) == 1
    clock.now += 10
    buckets.take("c", 1, 1, 1)
    assert len(buckets) == 1
    assert set(buckets._buckets) == {"c"}  # the others are gone from memory, not only from the count


def test_local_buckets_use_the_monotonic_clock_by_default():
    buckets = LocalTokenBuckets()
    assert buckets.take("x", 10, 1, 1).granted == 1
    assert buckets.take("x", 10, 1, 1).granted == 0
    time.sleep(0.12)
    assert buckets.take("x", 10, 1, 1).granted == 1


# --- SendThrottle --------------------------------------------------------------------------------


@pytest.fixture
def tenant_ids(request) -> Iterator[tuple[int, int]]:
    """Two tenant ids no other test uses; their Redis keys are deleted afterwards."""
    ids = (random.randrange(10**12, 10**13), random.randrange(10**13, 10**14))
    yield ids
    if settings.REDIS_URL:
        cleaner = redis.Redis.from_url(settings.REDIS_URL)
        for tenant_id in ids:
            doomed = [tenant_key(tenant_id), *cleaner.scan_iter(match=f"okuru:throttle:domain:{tenant_id}:*")]
            cleaner.delete(*doomed)
        cleaner.close()


@pytest.fixture(params=["redis", "local"])
def throttle_client(request) -> redis.Redis | None:
    return request.getfixturevalue("client") if request.param == "redis" else None


def test_domain_buckets_are_independent_per_tenant_and_per_domain(throttle_client, tenant_ids):
    a, b = tenant_ids
    alpha = SendThrottle(throttle_client, a, 3, domain_rate_per_second=2.0)
    beta = SendThrottle(throttle_client, b, 3, domain_rate_per_second=2.0)

    assert alpha.take_for_domain("alpha.example").granted == 1
    assert alpha.take_for_domain("alpha.example").granted == 1
    refused = alpha.take_for_domain("alpha.example")
    assert refused.granted == 0
    assert 0.25 < refused.wait_seconds <= 0.5 + EPS
    assert alpha.take_for_domain("ALPHA.example").granted == 0  # one domain, however written

    assert alpha.take_for_domain("beta.example").granted == 1  # another domain of the same tenant
    assert beta.take_for_domain("alpha.example").granted == 1  # the same domain for another tenant
    # Every batch builds its own throttle: it shares the buckets.
    assert SendThrottle(throttle_client, a, 3, domain_rate_per_second=2.0).take_for_domain("alpha.example").granted == 0


def test_tenant_buckets_are_independent_per_tenant(throttle_client, tenant_ids):
    a, b = tenant_ids
    big = SendThrottle(throttle_client, a, 20)
    assert big.take_for_tenant(50).granted == 20  # burst: one second's worth
    starved = big.take_for_tenant(50)
    assert starved.granted == 0
    assert 0 < starved.wait_seconds <= 0.05 + EPS
    assert SendThrottle(throttle_client, b, 3).take_for_tenant(50).granted == 3  # another tenant is not held back
    assert big.take_for_domain("alpha.example").granted == 1  # domain buckets are apart from the tenant's


def test_the_keys_in_redis(client: redis.Redis, tenant_ids):
    a, _ = tenant_ids
    throttle = SendThrottle(client, a, 4, domain_rate_per_second=2.5)
    throttle.take_for_tenant(1)
    throttle.take_for_domain("Alpha.Example")
    assert client.hget(f"okuru:throttle:tenant:{a}", "tokens") is not None
    assert float(client.hget(f"okuru:throttle:domain:{a}:alpha.example", "tokens")) == pytest.approx(2, abs=0.01)
    assert domain_key(a, "Alpha.Example") == f"okuru:throttle:domain:{a}:alpha.example"


def test_domain_burst_is_the_rate_rounded_up(throttle_client, tenant_ids):
    a, _ = tenant_ids
    throttle = SendThrottle(throttle_client, a, 10, domain_rate_per_second=2.5)
    assert sum(throttle.take_for_domain("alpha.example").granted for _ in range(5)) == 3


def test_domain_rate_comes_from_the_setting(settings, tenant_ids):
    a, _ = tenant_ids
    assert SendThrottle(None, a, 10).domain_rate == 5.0
    settings.SENDING_RATE_PER_DOMAIN = 1.5
    assert SendThrottle(None, a, 10).domain_rate == 1.5


def test_redis_client_is_cached_per_process_and_none_without_redis(settings):
    if settings.REDIS_URL:
        assert redis_client() is redis_client()
        assert redis_client().ping()
    settings.REDIS_URL = ""
    assert redis_client() is None


def test_a_batch_takes_for_all_its_domains_at_once_with_the_same_answers(throttle_client, tenant_ids):
    a, _ = tenant_ids
    throttle = SendThrottle(throttle_client, a, 100, domain_rate_per_second=2.0)
    throttle.take_for_domain("busy.example")  # one of its two tokens is gone already
    grants = throttle.take_for_domains({"busy.example": 3, "quiet.example": 1, "big.example": 5, "none.example": 0})
    assert grants["busy.example"].granted == 1 and 0 < grants["busy.example"].wait_seconds <= 0.5 + EPS
    assert grants["quiet.example"] == Grant(1, 0.0)
    assert grants["big.example"].granted == 2 and grants["big.example"].wait_seconds > 0
    assert grants["none.example"] == Grant(0, 0.0)
    assert throttle.take_for_domain("big.example").granted == 0  # the batch's takes were real


def test_taking_for_all_domains_is_one_round_trip_to_redis(client: redis.Redis, tenant_ids):
    a, _ = tenant_ids
    throttle = SendThrottle(client, a, 100, domain_rate_per_second=5.0)
    throttle.take_for_domain("warm.example")  # the script is loaded
    domains = {f"d{n}.example": 1 for n in range(40)}
    pool = client.connection_pool
    with mock.patch.object(pool, "get_connection", wraps=pool.get_connection) as got:
        grants = throttle.take_for_domains(domains)
    assert all(grant.granted == 1 for grant in grants.values())
    assert got.call_count == 1  # one connection checked out: one pipeline, not forty calls
