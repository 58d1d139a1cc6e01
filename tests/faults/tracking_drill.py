"""Drill 5: the tracking endpoints under load while PostgreSQL restarts (a clean stop, then a crash), and
the same while Redis does (a shutdown, then a SIGKILL): Redis holds the per-IP request counts.

gunicorn serves the project as in production (the tracking benchmark's server: sync x 3, persistent
database connections) on the drills' own servers; CLIENTS threads of this process open and click the
mails of a sent campaign as fast as it answers, each request with its own number in the User-Agent,
which the Event row keeps. Every answer is recorded. Promises: every success (200 image, 302 with a
Location) has its Event row; while a server is away the answer is a success or a 503, never a 500 or
a hang (REQUEST_TIMEOUT); the server answers successfully again after each restart.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connection

from campaigns.models import Message
from tests.bench.bench_tracking_load import drop_world, gunicorn, tracking_world
from tests.faults.sending import while_database_answers
from tests.faults.sending_drills import DOWN_SECONDS, Stack
from tracking.models import Event

MESSAGES = int(os.environ.get("FAULTS_TRACKING_MESSAGES", "5000"))
SECONDS = float(os.environ.get("FAULTS_TRACKING_SECONDS", "24"))
CLIENTS = int(os.environ.get("FAULTS_TRACKING_CLIENTS", "8"))
# (server, how it goes down, the share of the load's time at which it does)
POSTGRES_RESTARTS = (("postgres", "fast", 0.25), ("postgres", "immediate", 0.6))
REDIS_RESTARTS = (("redis", "shutdown", 0.25), ("redis", "crash", 0.6))
Outage = tuple[str, float, float]  # (server and mode, down from, up again at), monotonic
REQUEST_TIMEOUT = 10.0  # an answer slower than this counts as a hang
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
MARK = "okuru-drill/"
OPEN_SHARE = 0.7


@dataclass(frozen=True)
class Answer:
    number: int
    kind: str
    status: int  # 0: no answer (error says why)
    success: bool
    at: float  # when the request was sent (monotonic)
    error: str = ""


@dataclass
class Load:
    base_url: str
    tokens: list[str]
    deadline: float
    answers: list[Answer] = field(default_factory=list)
    _numbers: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        address = urlsplit(self.base_url)
        client = http.client.HTTPConnection(address.hostname, address.port, timeout=REQUEST_TIMEOUT)
        while time.monotonic() < self.deadline:
            with self._lock:
                number = next(self._numbers)
            token = rng.choice(self.tokens)
            kind = "open" if rng.random() < OPEN_SHARE else "click"
            path = f"/t/o/{token}.gif" if kind == "open" else f"/t/c/{token}/{rng.randint(1, 3)}/"
            answer = self._ask(client, number, kind, path)
            if not answer.status:
                client.close()  # a fresh connection for the next request
            with self._lock:
                self.answers.append(answer)
        client.close()

    @staticmethod
    def _ask(client: http.client.HTTPConnection, number: int, kind: str, path: str) -> Answer:
        at = time.monotonic()
        try:
            client.request("GET", path, headers={"User-Agent": f"{BROWSER} {MARK}{number}"})
            response = client.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            return Answer(number, kind, 0, False, at, type(error).__name__)
        if kind == "open":
            success = response.status == 200 and response.getheader("Content-Type") == "image/gif"
        else:
            success = response.status == 302 and bool(response.getheader("Location"))
        return Answer(number, kind, response.status, success, at)


def _recorded_numbers(campaign_id: int) -> Counter[int]:
    agents = while_database_answers(
        lambda: list(Event.objects.filter(campaign_id=campaign_id).values_list("user_agent", flat=True))
    )
    return Counter(int(agent.rpartition(MARK)[2]) for agent in agents if MARK in agent)


def _restart(stack: Stack, server: str, mode: str) -> None:
    if server == "postgres":
        stack.postgres.restart(mode, DOWN_SECONDS)
    else:
        stack.redis.restart(crash=mode == "crash", down_seconds=DOWN_SECONDS)


def _drive_and_restart(
    stack: Stack, load: Load, started: float, restarts: tuple[tuple[str, str, float], ...]
) -> list[Outage]:
    """The load's threads, and the restarts at their moments."""
    clients = [threading.Thread(target=load.run, args=(seed,), daemon=True) for seed in range(CLIENTS)]
    for client in clients:
        client.start()
    outages = []
    for server, mode, share in restarts:
        time.sleep(max(0.0, started + SECONDS * share - time.monotonic()))
        down_from = time.monotonic()
        _restart(stack, server, mode)
        outages.append((f"{server} {mode}", down_from, time.monotonic()))
    for client in clients:
        client.join(SECONDS + REQUEST_TIMEOUT * 2)
    connection.close()  # this process's session did not survive the restarts either
    return outages


def _restart_facts(outage: Outage, until: float, started: float, answers: list[Answer]) -> dict:
    """When it went down and for how long, and the failed answers to requests sent after it was up again
    and before `until` (how many, and the last one's delay after the restart)."""
    mode, down_from, up_at = outage
    failed_after = [a.at - up_at for a in answers if not a.success and up_at < a.at <= until]
    return {
        "mode": mode,
        "at_s": round(down_from - started, 1),
        "down_s": round(up_at - down_from, 1),
        "failed_after_up": len(failed_after),
        "last_failure_after_up_s": round(max(failed_after, default=0.0), 2),
    }


def _restarts_report(outages: list[Outage], started: float, load: Load) -> list[dict]:
    """Each restart's facts; its failures after it are counted until the next one began."""
    untils = [down_from for _mode, down_from, _up_at in outages[1:]] + [load.deadline]
    return [_restart_facts(outage, until, started, load.answers) for outage, until in zip(outages, untils, strict=True)]


def _summary(answers: list[Answer], recorded: Counter[int], outages: list[Outage]) -> dict:
    successes = [answer for answer in answers if answer.success]
    lost = [answer.number for answer in successes if not recorded[answer.number]]
    failed_numbers = {answer.number for answer in answers if not answer.success}
    last_up = outages[-1][2] if outages else 0.0
    statuses = Counter(str(answer.status or answer.error) for answer in answers)
    during = [answer for answer in answers if any(start <= answer.at <= end for _mode, start, end in outages)]
    return {
        "requests": len(answers),
        "successes": len(successes),
        "answers": dict(sorted(statuses.items())),
        "answers_during_outages": dict(sorted(Counter(str(a.status or a.error) for a in during).items())),
        "events_recorded": sum(recorded.values()),
        "lost": len(lost),
        "lost_requests": lost[:10],
        "recorded_but_answered_error": sum(1 for number in failed_numbers if recorded[number]),
        "repeated_events": sum(count - 1 for count in recorded.values() if count > 1),
        "successes_after_last_restart": sum(1 for answer in successes if answer.at > last_up),
    }


def _tracking_problems(summary: dict) -> list[str]:
    found = []
    if summary["lost"]:
        found.append(f"{summary['lost']} successful answers without their event")
    if summary["repeated_events"]:
        found.append(f"{summary['repeated_events']} requests recorded twice")
    unclean = {status: count for status, count in summary["answers"].items() if status not in ("200", "302", "503")}
    if unclean:
        found.append(f"answers other than success or 503: {unclean}")
    if not summary["successes_after_last_restart"]:
        found.append("no success after the last restart")
    return found


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Processes started inside write their stderr to `path`: gunicorn's workers log every 503 of an
    outage there, not to the terminal (the drill's counts tell it)."""
    saved = os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def drill_tracking_postgres_restart(stack: Stack) -> dict:
    return _tracking_drill(stack, "tracking_postgres_restart", POSTGRES_RESTARTS)


def drill_tracking_redis_restart(stack: Stack) -> dict:
    """Redis holds the per-IP request counts of the tracking links: its outage must not lose an open."""
    return _tracking_drill(stack, "tracking_redis_restart", REDIS_RESTARTS)


def _tracking_drill(stack: Stack, name: str, restarts: tuple[tuple[str, str, float], ...]) -> dict:
    world = tracking_world(MESSAGES)
    try:
        tokens = list(Message.objects.filter(campaign=world.campaign).values_list("token", flat=True))
        log_dir = stack.logs / name
        log_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as server_stack:
            with _stderr_to(log_dir / "gunicorn-stderr.log"):
                server = server_stack.enter_context(gunicorn(log_dir, conn_max_age=600))
            started = time.monotonic()
            load = Load(server.base_url, tokens, deadline=started + SECONDS)
            outages = _drive_and_restart(stack, load, started, restarts)
            description = server.description
        summary = _summary(load.answers, _recorded_numbers(world.campaign.pk), outages)
    finally:
        while_database_answers(lambda: drop_world(world))
    found = _tracking_problems(summary)
    return {
        "drill": name,
        "messages": MESSAGES,
        "seconds": SECONDS,
        "clients": CLIENTS,
        "server": description,
        "restarts": _restarts_report(outages, started, load),
        **summary,
        "ok": not found,
        "problems": found,
    }
