"""The send path's own cost (S2-S8) with a null provider: 20,000 recipients, one process, in-process batches.

Data: a tenant with 20,000 leads (demo data, 200 company domains, every address deliverable and
different), a campaign with the rendering benchmark's body (5 tracked links, merge tags), snapshotted
with `services.start_sending` (batches not queued: nothing reaches the broker). The tenant's rate and
SENDING_RATE_PER_DOMAIN are a million mails per second, so the throttle never makes anybody wait, but
its Redis calls (one per batch, one per mail) are made as in production.

Figures:
- mime_serialisation_only: the same 20,000 mails built with `compile_campaign(...).render(...)` and
  `build_email(...)` and serialised to bytes (`message().as_bytes()`), no database: the ceiling.
- sending_pipeline_null_provider: `delivery.deliver_batch` called in a loop until the campaign is sent,
  with EMAIL_BACKEND = tests.bench.null_email_backend (it serialises each message and drops it): claim,
  suppression check, render, the state writes before and after the hand-over, serialisation. Goals:
  >= 2,000 mails/s and >= 50 % of the serialisation-only rate. `db_share` / `redis_share` /
  `serialise_share` are the parts of the wall time spent waiting for PostgreSQL, for Redis (throttle)
  and in MIME serialisation (PostgreSQL's part: Django's queries, and sending and waiting for the per-mail
  writes, which run on a second connection while the mail is built); `queries_per_mail` comes from every
  query of the timed run, a per-mail write (two statements in one round trip) counted once;
  `process_cpu_ms_per_mail` is this process's CPU time (PostgreSQL's and Redis' not included).
- sending_pipeline_queries_one_batch: the statements of one batch (CaptureQueriesContext, and the per-mail
  writes: each of the two that share a round trip counted), grouped by kind; on the process's first batch,
  with the PREPARE of each prepared statement.
`load_average_before` is there because the machine may be shared: a loaded machine gives lower rates.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from campaigns import delivery, throttle
from campaigns.mail_message import Envelope, build_email
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from campaigns.overlapped_statements import OverlappedStatement
from campaigns.rendering import LegalFooter, Recipient, compile_campaign
from tests.bench import null_email_backend
from tests.bench.bench_snapshot import drop_tenant, sending_world, snapshot_now

RECIPIENTS = 20_000
UNTHROTTLED = 1_000_000.0
NULL_BACKEND = "tests.bench.null_email_backend.EmailBackend"


class Stopwatch:
    """Seconds and calls accumulated by wrapped functions (DB queries, Redis takes, serialisation)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function):
        def timed(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - begin
                self.calls += 1

        return timed

    def query_wrapper(self, execute, sql, params, many, context):
        return self.wrap(execute)(sql, params, many, context)


def serialise_only(campaign: Campaign) -> tuple[int, float]:
    """Render, build and serialise every message of the campaign, no database in the timed part: (mails, s)."""
    messages = list(Message.objects.filter(campaign=campaign).select_related("lead").order_by("id"))
    prepared = [
        (Recipient(m.lead.company_name, m.lead.last_name, m.lead.first_name), m.token, m.email) for m in messages
    ]
    campaign = Campaign.objects.select_related("tenant").get(pk=campaign.pk)
    started = time.perf_counter()
    compiled = compile_campaign(
        subject=campaign.subject, body_html=campaign.body_html, footer=LegalFooter.of_tenant(campaign.tenant)
    )
    envelope = Envelope.of_campaign(campaign)
    for recipient, token, address in prepared:
        build_email(envelope, compiled.render(recipient, token), address).message().as_bytes(linesep="\r\n")
    return len(prepared), time.perf_counter() - started


def query_kind(sql: str) -> str:
    """A short name for a query: its verb and table; for an UPDATE the columns it sets (and the new status)."""
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|UPDATE|INTO)\s+"?(\w+)"?', sql)
    if table is None:
        return verb  # BEGIN, COMMIT, SAVEPOINT ...
    kind = f"{verb} {table.group(1)}"
    if verb == "UPDATE":
        assignments = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
        columns = re.findall(r'"?(\w+)"? = ', assignments)
        status = re.search(r'"status" = \'(\w+)\'', assignments)
        kind += " SET " + ", ".join(columns) + (f" (status {status.group(1)})" if status else "")
    elif verb == "SELECT" and "FOR UPDATE" in sql:
        kind += " FOR UPDATE SKIP LOCKED"
    return kind


def _recording(start, statements: list[str]):
    """OverlappedStatement.start, also keeping each statement's SQL with its parameters filled in."""

    def recorded(self, *steps):
        statements.extend(statement.sql % tuple(repr(param) for param in params) for statement, params in steps)
        return start(self, *steps)

    return recorded


def deliver_until_sent(campaign_id: int) -> tuple[int, int]:
    """deliver_batch in a loop as the send_batch chain would; (batches, throttled answers)."""
    batches = throttled = 0
    while True:
        outcome = delivery.deliver_batch(campaign_id)
        batches += 1
        if not outcome.more_work:
            return batches, throttled
        if outcome.retry_in:
            throttled += 1
            time.sleep(min(outcome.retry_in, 1.0))


def run() -> Iterator[dict]:
    world = sending_world("送信パイプライン株式会社", RECIPIENTS, seed=21, exclusions=False)
    try:
        with override_settings(SENDING_RATE_PER_DOMAIN=UNTHROTTLED, EMAIL_BACKEND=NULL_BACKEND):
            yield from _measure(snapshot_now(world.campaign))
    finally:
        drop_tenant(world.tenant)


def _measure(campaign: Campaign) -> Iterator[dict]:
    from django.conf import settings

    mails, seconds = serialise_only(campaign)
    serialise_rate = mails / seconds
    yield {
        "figure": "mime_serialisation_only",
        "mails": mails,
        "mails_per_s": round(serialise_rate),
        "note": "compile once, then render + build_email + message().as_bytes() per mail; no database",
    }

    overlapped_sql: list[str] = []
    with (
        CaptureQueriesContext(connection) as queries,  # the first batch also warms the caches
        mock.patch.object(OverlappedStatement, "start", _recording(OverlappedStatement.start, overlapped_sql)),
    ):
        delivery.deliver_batch(campaign.pk)
    first_batch = Message.objects.filter(campaign=campaign, status=MessageStatus.SENT).count()
    statements = [query["sql"] for query in queries] + overlapped_sql
    kinds = Counter(query_kind(sql) for sql in statements)
    yield {
        "figure": "sending_pipeline_queries_one_batch",
        "batch_size": settings.SENDING_BATCH_SIZE,
        "mails": first_batch,
        "queries": len(statements),
        "queries_per_mail": round(len(statements) / max(1, first_batch), 2),
        "by_kind": dict(kinds.most_common()),
    }

    database, overlapped, overlapped_waits = Stopwatch(), Stopwatch(), Stopwatch()
    redis_takes, serialising = Stopwatch(), Stopwatch()
    backend_sent = null_email_backend.sent
    load = os.getloadavg()[0]
    cpu_before = time.process_time()
    started = time.perf_counter()
    with (
        connection.execute_wrapper(database.query_wrapper),
        # the per-mail writes go over the send path's second connection: counted when started, timed while
        # the worker waits for them (they run while it builds the mail)
        mock.patch.object(OverlappedStatement, "start", overlapped.wrap(OverlappedStatement.start)),
        mock.patch.object(OverlappedStatement, "wait", overlapped_waits.wrap(OverlappedStatement.wait)),
        mock.patch.object(throttle.RedisTokenBuckets, "take", redis_takes.wrap(throttle.RedisTokenBuckets.take)),
        mock.patch.object(
            null_email_backend.EmailBackend,
            "send_messages",
            serialising.wrap(null_email_backend.EmailBackend.send_messages),
        ),
    ):
        batches, throttled = deliver_until_sent(campaign.pk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    campaign.refresh_from_db()
    statuses = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    sent = statuses[MessageStatus.SENT] - first_batch
    if campaign.status != CampaignStatus.SENT or statuses[MessageStatus.SENT] != campaign.recipients_total:
        raise RuntimeError(f"the campaign did not finish: {campaign.status}, {dict(statuses)}")
    if null_email_backend.sent - backend_sent != sent:
        raise RuntimeError(f"the null backend saw {null_email_backend.sent - backend_sent} mails, not {sent}")
    rate = sent / seconds
    yield {
        "figure": "sending_pipeline_null_provider",
        "mails": sent,
        "batches": batches,
        "batch_size": settings.SENDING_BATCH_SIZE,
        "throttled_answers": throttled,
        "seconds": round(seconds, 2),
        "mails_per_s": round(rate),
        "serialisation_only_mails_per_s": round(serialise_rate),
        "ratio_to_serialisation_only": round(rate / serialise_rate, 3),
        "queries_per_mail": round((database.calls + overlapped.calls) / sent, 2),
        "db_share": round((database.seconds + overlapped.seconds + overlapped_waits.seconds) / seconds, 3),
        "redis_takes_per_mail": round(redis_takes.calls / sent, 2),
        "redis_share": round(redis_takes.seconds / seconds, 3),
        "serialise_share": round(serialising.seconds / seconds, 3),
        "process_cpu_ms_per_mail": round(cpu * 1000 / sent, 3),
        "load_average_before": round(load, 2),
        "goal_mails_per_s": 2_000,
        "goal_ratio": 0.5,
    }
