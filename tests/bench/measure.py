"""Small measuring tools for the benchmarks: wall time and peak resident memory."""

import resource
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed(function: Callable[[], T]) -> tuple[T, float]:
    """Run once; return the result and the elapsed milliseconds."""
    start = time.perf_counter()
    result = function()
    return result, (time.perf_counter() - start) * 1000


def best_of(function: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of `repeat` runs in milliseconds (the first run warms caches)."""
    return min(timed(function)[1] for _ in range(repeat))
