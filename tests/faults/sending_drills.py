"""The sending drills: a campaign sent by real workers into the drills' SMTP server while something breaks.

Each drill yields one dict (a JSON line): its parameters, what it broke and when, the final counts
(tests/faults/sending.py: outcome) and `problems`, empty when every promise held.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tests.faults.catcher import FaultPlan, SmtpServer, smtp_server
from tests.faults.crew import Crew, crew
from tests.faults.sending import outcome, problems, sending_campaign, start, wait_for_mails, wait_until_sent
from tests.faults.servers import OwnPostgres, OwnRedis

KILL_RECIPIENTS = int(os.environ.get("FAULTS_KILL_RECIPIENTS", "10000"))
KILLS = int(os.environ.get("FAULTS_KILLS", "20"))
KILL_RATE = int(os.environ.get("FAULTS_KILL_RATE", "200"))  # the tenant's mails/s: the kills spread over the send
RESTART_RECIPIENTS = int(os.environ.get("FAULTS_RESTART_RECIPIENTS", "3000"))
RESTART_RATE = int(os.environ.get("FAULTS_RESTART_RATE", "300"))
DOWN_SECONDS = float(os.environ.get("FAULTS_DOWN_SECONDS", "3"))  # how long a restarted server stays down
PROVIDER_DOWN_SECONDS = float(os.environ.get("FAULTS_PROVIDER_DOWN_SECONDS", "10"))
PROVIDER_RECIPIENTS = int(os.environ.get("FAULTS_PROVIDER_RECIPIENTS", "5000"))
PROVIDER_PLAN = FaultPlan(transient_share=0.10, permanent_share=0.02)
LOST_REPLY_PLAN = FaultPlan(lost_reply_share=0.01)
HANG_PLAN = FaultPlan(hang_share=0.002)
NO_FAULTS = FaultPlan()
WORKERS = 2  # a restart may leave one mail per worker's batch in flight unknown
BREAK_AT_SHARE = 0.3  # a server is restarted once this share of the campaign is caught


@dataclass
class Stack:
    """What the drills run on: their own servers, the environment of every process they start, a log folder."""

    postgres: OwnPostgres
    redis: OwnRedis
    env: dict[str, str]
    logs: Path


# breaks things while the campaign sends: (stack, crew, SMTP server, mails caught before) -> facts
Disturbance = Callable[[Stack, Crew, SmtpServer, int], dict]


def _sending_drill(
    stack: Stack, name: str, recipients: int, rate: int, plan: FaultPlan, disturb: Disturbance, max_unknown: int
) -> dict:
    with smtp_server(plan) as smtp:
        env = {**stack.env, "EMAIL_URL": smtp.email_url}
        with crew(env, stack.logs / name) as team:
            campaign = sending_campaign(name.replace("_", "-"), recipients, rate)
            caught_before = smtp.handler.total_accepted()
            started = start(campaign)
            facts = disturb(stack, team, smtp, caught_before)
            finished = wait_until_sent(campaign.pk)
            seconds = time.monotonic() - started
        counts = outcome(campaign.pk, smtp.handler, plan)
    found = problems(counts, finished=finished, max_unknown=max_unknown)
    return {
        "drill": name,
        "recipients": recipients,
        "rate_per_s": rate,
        **facts,
        "finished": finished,
        "seconds": round(seconds, 1),
        **counts,
        "max_unknown": max_unknown,
        "ok": not found,
        "problems": found,
    }


def _when_caught(smtp: SmtpServer, count: int) -> bool:
    """Wait until the catcher has `count` mails; False if the campaign stalled first."""
    return wait_for_mails(smtp.handler, count, timeout=120) >= count


def _kill_workers(stack: Stack, team: Crew, smtp: SmtpServer, caught_before: int) -> dict:
    """KILLS times: SIGKILL a worker (in turn) once another stretch of the campaign is caught, start it again."""
    stretch = max(KILL_RECIPIENTS // (KILLS + 4), 1)
    rng = random.Random(8)
    kills = 0
    for kill in range(KILLS):
        if not _when_caught(smtp, caught_before + (kill + 1) * stretch):
            break
        time.sleep(rng.uniform(0.0, 0.2))  # somewhere inside a batch, not always at its start
        victim = team.workers[kill % len(team.workers)]
        victim.kill()
        kills += 1
        victim.start()
    return {"kills": kills, "kill_every_mails": stretch, "workers": len(team.workers)}


def drill_worker_kills(stack: Stack) -> dict:
    return _sending_drill(
        stack, "worker_kills", KILL_RECIPIENTS, KILL_RATE, NO_FAULTS, _kill_workers, max_unknown=KILLS
    )


def _restart_postgres(mode: str) -> Disturbance:
    def disturb(stack: Stack, team: Crew, smtp: SmtpServer, caught_before: int) -> dict:
        reached = _when_caught(smtp, caught_before + int(RESTART_RECIPIENTS * BREAK_AT_SHARE))
        at = smtp.handler.total_accepted() - caught_before
        down = stack.postgres.restart(mode, DOWN_SECONDS)
        return {"fault": f"pg_ctl stop -m {mode}, start", "restarted_at_mail": at, "down_s": round(down, 1),
                "reached_break_point": reached}  # fmt: skip

    return disturb


def _restart_redis(crash: bool) -> Disturbance:
    def disturb(stack: Stack, team: Crew, smtp: SmtpServer, caught_before: int) -> dict:
        reached = _when_caught(smtp, caught_before + int(RESTART_RECIPIENTS * BREAK_AT_SHARE))
        at = smtp.handler.total_accepted() - caught_before
        down = stack.redis.restart(crash=crash, down_seconds=DOWN_SECONDS)
        fault = "redis SIGKILL (queue lost), start" if crash else "redis SHUTDOWN (snapshot saved), start"
        return {"fault": fault, "restarted_at_mail": at, "down_s": round(down, 1), "reached_break_point": reached}

    return disturb


def _interrupt_provider(stack: Stack, team: Crew, smtp: SmtpServer, caught_before: int) -> dict:
    reached = _when_caught(smtp, caught_before + int(RESTART_RECIPIENTS * BREAK_AT_SHARE))
    at = smtp.handler.total_accepted() - caught_before
    down = smtp.interrupt(PROVIDER_DOWN_SECONDS)
    fault = "SMTP server stopped (sessions cut), started again"
    return {"fault": fault, "restarted_at_mail": at, "down_s": round(down, 1), "reached_break_point": reached}


def drill_provider_hangs(stack: Stack) -> dict:
    """0.2 % of the mails get no answer at all after DATA (an overloaded provider; here the mail was not
    taken, which the sender cannot know): the worker gives up after EMAIL_TIMEOUT and goes on, the mail ends
    unknown (or sent); with no timeout the worker waited for ever and the campaign stalled."""
    return _sending_drill(
        stack, "provider_hangs", RESTART_RECIPIENTS, 1_000_000, HANG_PLAN, _shares(HANG_PLAN), max_unknown=0
    )


def drill_provider_outage(stack: Stack) -> dict:
    """The provider is away for PROVIDER_DOWN_SECONDS mid-send: the campaign waits and goes on (issue 4)."""
    return _sending_drill(
        stack, "provider_outage", RESTART_RECIPIENTS, RESTART_RATE, NO_FAULTS, _interrupt_provider, max_unknown=0
    )


def _crash_database_and_workers(stack: Stack, team: Crew, smtp: SmtpServer, caught_before: int) -> dict:
    """A power loss of the machine that runs PostgreSQL and the workers (the provider lives on): the
    database crashes, the workers die before they can write anything again; both come back."""
    reached = _when_caught(smtp, caught_before + int(RESTART_RECIPIENTS * BREAK_AT_SHARE))
    at = smtp.handler.total_accepted() - caught_before
    started = time.monotonic()
    stack.postgres.stop("immediate")
    for worker in team.workers:
        worker.kill()
    time.sleep(DOWN_SECONDS)
    stack.postgres.start()
    for worker in team.workers:
        worker.start()
    fault = "pg_ctl stop -m immediate and SIGKILL of every worker, both started again"
    down = round(time.monotonic() - started, 1)
    return {"fault": fault, "restarted_at_mail": at, "down_s": down, "reached_break_point": reached}


def drill_postgres_and_workers_crash(stack: Stack) -> dict:
    """Per the send path's design, the batches in flight may end unknown (their unflushed writes are gone),
    up to a batch per worker; never a second mail."""
    return _sending_drill(
        stack, "postgres_and_workers_crash", RESTART_RECIPIENTS, RESTART_RATE, NO_FAULTS,
        _crash_database_and_workers, max_unknown=WORKERS * settings.SENDING_BATCH_SIZE,
    )  # fmt: skip


def drill_postgres_restart(stack: Stack) -> Iterator[dict]:
    for mode in ("fast", "immediate"):
        yield _sending_drill(
            stack, f"postgres_restart_{mode}", RESTART_RECIPIENTS, RESTART_RATE, NO_FAULTS,
            _restart_postgres(mode), max_unknown=WORKERS,
        )  # fmt: skip


def drill_redis_restart(stack: Stack) -> Iterator[dict]:
    for crash in (False, True):
        yield _sending_drill(
            stack, "redis_crash" if crash else "redis_restart", RESTART_RECIPIENTS, RESTART_RATE, NO_FAULTS,
            _restart_redis(crash), max_unknown=0,
        )  # fmt: skip


def _shares(plan: FaultPlan) -> Disturbance:
    def disturb(stack: Stack, team: Crew, smtp: SmtpServer, caught_before: int) -> dict:
        shares = {"transient_share": plan.transient_share, "permanent_share": plan.permanent_share}
        return {**shares, "lost_reply_share": plan.lost_reply_share, "hang_share": plan.hang_share}

    return disturb


def drill_provider_failures(stack: Stack) -> dict:
    return _sending_drill(
        stack, "provider_failures", PROVIDER_RECIPIENTS, 1_000_000, PROVIDER_PLAN, _shares(PROVIDER_PLAN), max_unknown=0
    )


def drill_provider_lost_replies(stack: Stack) -> dict:
    """The provider takes 1 % of the mails but its answer never arrives (the connection drops after DATA):
    such a mail may have gone out, so it must end unknown (or sent), never be handed over again."""
    return _sending_drill(
        stack, "provider_lost_replies", PROVIDER_RECIPIENTS, 1_000_000, LOST_REPLY_PLAN, _shares(LOST_REPLY_PLAN),
        max_unknown=0,
    )  # fmt: skip
