"""Campaign results (D1, D2) of a 1,000,000-message campaign with 3,000,000 events.

Data (set-based SQL, INSERT ... SELECT generate_series; deterministic):
- 1,000,000 messages of one finished campaign, sent over 30 minutes: 99.05 % sent, 0.5 % failed, 0.25 %
  skipped, 0.2 % unknown (every status a real campaign ends with).
- 3,000,000 events on them over the 14 days after sending, skewed to the first hours: 1,000,000
  provider events (delivered, 1 % bounced), 1,200,000 opens (15 % by machines) on 40 % of the recipients
  and 800,000 clicks on 12 % of them, on the campaign's 5 links and its honeypot (10 % by machines).
- What tracking derives from them, computed from the events in SQL the way tracking's services keep it:
  the first-time timestamps on the messages, the campaign's counters per hour and shard (first-time
  results) and the link counters (every human click, and each human clicker once per link).
- The outcome stored when the campaign ended (Campaign.outcome_counts), counted as finish_if_done does.
- Another tenant with a small campaign of its own, so tenant and campaign conditions have rows to leave out.
The tables are VACUUM ANALYZEd after loading, as autovacuum does in production.

Figures (milliseconds; median and max of RUNS runs after one warm-up):
- campaign_stats_1m: `selectors.campaign_stats` of the finished campaign: what the dashboard and the
  stats API compute (counters per hour → totals and the timeline, clicks per link). Goal: <= 100 ms.
- campaign_figures_page: `selectors.campaign_figures` for an index page of 50 finished campaigns
  (the big one and 49 small ones): one query (their counters), whatever their number.
- dashboard_page_1m: the whole dashboard (GET /campaigns/<id>/ as its owner, through Django's test client):
  the figures, the progress block, the first page of the recipients table and the rendering.
- live_count_1m: the grouped count a campaign needs while it sends (selectors.sending_progress) and that
  finish_if_done pays once at the end: what the stored outcome saves every later page view.
- results_csv_1m: the CSV export of every recipient (streamed), once: seconds, rows per second, MB.
EXPLAIN ANALYZE of the stats queries goes to stderr.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.db import connection, reset_queries
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, Tenant, User
from campaigns import selectors
from campaigns.models import Campaign, CampaignStatus, Message
from tests.bench.measure import timed
from tracking.models import COUNTER_SHARDS, CampaignActivity, Event, LinkActivity

MESSAGES = 1_000_000
EVENTS = 3_000_000
PROVIDER_EVENTS = 1_000_000
OPEN_EVENTS = 1_200_000
CLICK_EVENTS = EVENTS - PROVIDER_EVENTS - OPEN_EVENTS
OPENER_SHARE = 0.4  # opens land on 40 % of the sent messages, clicks on 12 % (each a few times)
CLICKER_SHARE = 0.12
SMALL_CAMPAIGNS = 49
SMALL_MESSAGES = 200
RUNS = 15
LINKS = [
    "https://alpha.example/product",
    "https://alpha.example/seminar?id=7",
    "https://alpha.example/case-studies",
    "https://alpha.example/pricing",
    "https://alpha.example/contact",
]

MESSAGE_TABLE = Message._meta.db_table
EVENT_TABLE = Event._meta.db_table
ACTIVITY_TABLE = CampaignActivity._meta.db_table
LINK_TABLE = LinkActivity._meta.db_table


def _execute(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def _campaign(tenant: Tenant, owner: User, name: str, started_at, *, recipients: int) -> Campaign:
    return Campaign.objects.create(
        tenant=tenant,
        owner=owner,
        name=name,
        subject="{{CompanyName}}様へ新製品のご案内",
        body_html="<p>本文</p>",
        from_name="アルファ営業部",
        from_email="sales@alpha.example",
        reply_to="reply@alpha.example",
        status=CampaignStatus.SENDING,
        started_at=started_at,
        recipients_total=recipients,
        exclusions={"suppressed": 30_512, "info": 24_871, "invalid": 2_003, "duplicate": 13_421},
        link_urls=LINKS,
        delivered_on_acceptance=False,
    )


def load_messages(campaign: Campaign, count: int) -> None:
    """`count` messages sent evenly over 30 minutes from the start; statuses by the message's number n."""
    _execute(
        f"""
        INSERT INTO {MESSAGE_TABLE} (tenant_id, campaign_id, lead_id, email, email_normalized, token, status,
            attempts, claim, provider_message_id, error, created_at, sent_at)
        SELECT %(tenant)s, %(campaign)s, NULL, 'person' || n || '@kaisha' || (n %% 500) || '.example',
            'person' || n || '@kaisha' || (n %% 500) || '.example', md5(%(campaign)s || ':' || n),
            s.status, 1, '', CASE WHEN s.status = 'sent' THEN 'esp-' || %(campaign)s || '-' || n ELSE '' END,
            CASE s.status WHEN 'failed' THEN '550 5.1.1 No such user here'
                WHEN 'skipped' THEN 'suppressed after the recipients were fixed'
                WHEN 'unknown' THEN 'the worker stopped while handing this mail to the provider' ELSE '' END,
            %(start)s, CASE WHEN s.status IN ('sent', 'unknown')
                THEN %(start)s + (n * interval '30 minutes') / %(count)s END
        FROM generate_series(1, %(count)s) AS n,
        LATERAL (SELECT CASE WHEN n %% 200 = 0 THEN 'failed' WHEN n %% 400 = 1 THEN 'skipped'
                             WHEN n %% 500 = 3 THEN 'unknown' ELSE 'sent' END AS status) AS s
        """,  # noqa: S608
        {"tenant": campaign.tenant_id, "campaign": campaign.pk, "start": campaign.started_at, "count": count},
    )


def load_events(campaign: Campaign, events: int) -> None:
    """Provider events, opens and clicks on the campaign's sent messages, spread over 14 days (the square of
    a uniform number: most in the first hours). Numbers e pick the kind and the message: one provider event
    per message in turn, opens among the first OPENER_SHARE of them and clicks among the first CLICKER_SHARE
    (a multiplicative hash, so one recipient opens or clicks several times, at different times)."""
    sent = Message.objects.filter(campaign=campaign, status="sent").count()
    provider = round(events * PROVIDER_EVENTS / EVENTS)
    opens = round(events * OPEN_EVENTS / EVENTS)
    _execute(
        f"""
        WITH sent AS (
            SELECT id, sent_at, row_number() OVER (ORDER BY id) - 1 AS k
            FROM {MESSAGE_TABLE} WHERE campaign_id = %(campaign)s AND status = 'sent'
        ), numbered AS (
            SELECT e, CASE WHEN e <= %(provider)s THEN (e - 1) %% %(sent)s
                           WHEN e <= %(provider)s + %(opens)s THEN (e * 7919::bigint) %% %(openers)s
                           ELSE (e * 7919::bigint) %% %(clickers)s END AS k,
                   ((e * 104729::bigint) %% 100003) / 100003.0 AS r
            FROM generate_series(1, %(events)s) AS e
        )
        INSERT INTO {EVENT_TABLE} (tenant_id, campaign_id, message_id, kind, machine, machine_reason, link_number,
            detail, user_agent, ip, provider_event_id, occurred_at)
        SELECT %(tenant)s, %(campaign)s, sent.id,
            CASE WHEN e <= %(provider)s THEN (CASE WHEN e %% 100 = 0 THEN 'bounced' ELSE 'delivered' END)
                 WHEN e <= %(provider)s + %(opens)s THEN 'opened' ELSE 'clicked' END,
            (e > %(provider)s AND e <= %(provider)s + %(opens)s AND e %% 20 < 3) OR (e > %(provider)s + %(opens)s
                AND e %% 10 = 0),
            CASE WHEN e <= %(provider)s THEN ''
                 WHEN e <= %(provider)s + %(opens)s THEN (CASE WHEN e %% 20 < 3 THEN 'privacy_proxy' ELSE '' END)
                 WHEN e %% 10 = 0 THEN 'honeypot' ELSE '' END,
            CASE WHEN e > %(provider)s + %(opens)s THEN (CASE WHEN e %% 10 = 0 THEN 0 ELSE 1 + e %% 5 END) END,
            '', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0', NULL,
            CASE WHEN e <= %(provider)s THEN 'esp:' || %(campaign)s || ':' || e ELSE '' END,
            sent.sent_at + CASE WHEN e <= %(provider)s THEN interval '5 seconds'
                                ELSE interval '1 minute' + r * r * interval '14 days' END
        FROM numbered JOIN sent ON sent.k = numbered.k
        """,  # noqa: S608
        {
            "tenant": campaign.tenant_id,
            "campaign": campaign.pk,
            "events": events,
            "provider": provider,
            "opens": opens,
            "sent": sent,
            "openers": max(1, round(sent * OPENER_SHARE)),
            "clickers": max(1, round(sent * CLICKER_SHARE)),
        },
    )


def derive_tracking(campaign: Campaign) -> None:
    """What tracking's services keep for these events: first-time timestamps, then counters from them."""
    _execute(
        f"""
        UPDATE {MESSAGE_TABLE} AS m SET
            delivered_at = f.delivered_at, bounced_at = f.bounced_at, opened_at = f.opened_at,
            clicked_at = f.clicked_at, machine_opened_at = f.machine_opened_at,
            machine_clicked_at = f.machine_clicked_at
        FROM (
            SELECT message_id,
                min(occurred_at) FILTER (WHERE kind = 'delivered') AS delivered_at,
                min(occurred_at) FILTER (WHERE kind = 'bounced') AS bounced_at,
                min(occurred_at) FILTER (WHERE kind IN ('opened', 'clicked') AND NOT machine) AS opened_at,
                min(occurred_at) FILTER (WHERE kind = 'clicked' AND NOT machine) AS clicked_at,
                min(occurred_at) FILTER (WHERE kind = 'opened' AND machine) AS machine_opened_at,
                min(occurred_at) FILTER (WHERE kind = 'clicked' AND machine) AS machine_clicked_at
            FROM {EVENT_TABLE} WHERE campaign_id = %(campaign)s GROUP BY message_id
        ) AS f
        WHERE m.id = f.message_id
        """,  # noqa: S608
        {"campaign": campaign.pk},
    )
    # a few unsubscribes and complaints among the openers (0.5 % and 0.05 % of the messages)
    _execute(
        f"UPDATE {MESSAGE_TABLE} SET unsubscribed_at = opened_at + interval '2 minutes' "  # noqa: S608
        "WHERE campaign_id = %s AND opened_at IS NOT NULL AND id %% 200 = 7",
        [campaign.pk],
    )
    _execute(
        f"UPDATE {MESSAGE_TABLE} SET complained_at = delivered_at + interval '1 hour' "  # noqa: S608
        "WHERE campaign_id = %s AND delivered_at IS NOT NULL AND id %% 2000 = 11",
        [campaign.pk],
    )
    counters = ["delivered", "bounced", "opened", "clicked", "machine_opened", "machine_clicked"]
    counters += ["unsubscribed", "complained"]
    firsts = " UNION ALL ".join(
        f"SELECT date_trunc('hour', {name}_at) AS hour, id %% {COUNTER_SHARDS} AS shard, '{name}' AS counter "  # noqa: S608
        f"FROM {MESSAGE_TABLE} WHERE campaign_id = %(campaign)s AND {name}_at IS NOT NULL"
        for name in counters
    )
    sums = ", ".join(f"count(*) FILTER (WHERE counter = '{name}')" for name in counters)
    _execute(
        f"INSERT INTO {ACTIVITY_TABLE} (campaign_id, hour, shard, {', '.join(counters)}) "  # noqa: S608
        f"SELECT %(campaign)s, hour, shard, {sums} FROM ({firsts}) AS f GROUP BY hour, shard",
        {"campaign": campaign.pk},
    )
    _execute(
        f"""
        INSERT INTO {LINK_TABLE} (campaign_id, link_number, shard, clicks, unique_clicks)
        SELECT %(campaign)s, link_number, message_id %% {COUNTER_SHARDS}, count(*), count(DISTINCT message_id)
        FROM {EVENT_TABLE}
        WHERE campaign_id = %(campaign)s AND kind = 'clicked' AND NOT machine
        GROUP BY link_number, message_id %% {COUNTER_SHARDS}
        """,  # noqa: S608
        {"campaign": campaign.pk},
    )


def recount_from_messages(campaign: Campaign) -> dict[str, int]:
    """The figures counted the slow way, from the first-time timestamps of a million messages (a check)."""
    fields = {
        "delivered": "delivered_at",
        "opened": "opened_at",
        "clicked": "clicked_at",
        "machine_opened": "machine_opened_at",
        "machine_clicked": "machine_clicked_at",
        "unsubscribed": "unsubscribed_at",
        "bounced": "bounced_at",
        "complained": "complained_at",
    }
    counts = Message.objects.filter(campaign=campaign).aggregate(
        sent=Count("id", filter=Q(status="sent")),
        send_failed=Count("id", filter=Q(status="failed")),
        **{name: Count("id", filter=Q(**{f"{field}__isnull": False})) for name, field in fields.items()},
    )
    return counts


def finish(campaign: Campaign) -> float:
    """The end of sending as finish_if_done does it: the outcome counted once and stored; its milliseconds."""
    outcome, ms = timed(lambda: selectors.final_outcome_counts(campaign.pk))
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=campaign.started_at + timedelta(minutes=30), outcome_counts=outcome
    )
    campaign.refresh_from_db()
    return ms


def runs(function: Callable[[], object], count: int = RUNS) -> dict[str, float]:
    function()  # warm-up: connection, plan and buffer caches
    times = [timed(function)[1] for _ in range(count)]
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1), "runs": count}


def captured(function: Callable[[], object]) -> list[dict]:
    """The queries `function` makes (a request through the test client resets the query log as it starts)."""
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        function()
    return queries.captured_queries


def explain_all(function: Callable[[], object]) -> str:
    plans = []
    with connection.cursor() as cursor:
        for query in captured(function):
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plans.append(query["sql"] + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(plans)


def drop(tenant: Tenant) -> None:
    campaign_ids = list(Campaign.objects.filter(tenant=tenant).values_list("id", flat=True))
    for table in (EVENT_TABLE, MESSAGE_TABLE, ACTIVITY_TABLE, LINK_TABLE):
        _execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%s)", [campaign_ids])  # noqa: S608
    Campaign.objects.filter(tenant=tenant).delete()
    tenant.delete()


def run() -> Iterator[dict]:
    started = timezone.now() - timedelta(days=15)
    tenant = Tenant.objects.create(name="ダッシュボード株式会社", has_mail_plan=True)
    owner = User.objects.create_user(email="owner@dashboard-bench.example", tenant=tenant, role=Role.REP, password=None)
    other = Tenant.objects.create(name="他社株式会社", has_mail_plan=True)
    other_owner = User.objects.create_user(email="rep@other-bench.example", tenant=other, password=None)
    try:
        big = _campaign(tenant, owner, "100万通の案内", started, recipients=MESSAGES)
        timings: dict[str, float] = {}
        _, timings["messages_s"] = timed(lambda: load_messages(big, MESSAGES))
        _, timings["events_s"] = timed(lambda: load_events(big, EVENTS))
        _, timings["derive_s"] = timed(lambda: derive_tracking(big))
        small = [
            _campaign(tenant, owner, f"小さな案内{n}", started, recipients=SMALL_MESSAGES)
            for n in range(SMALL_CAMPAIGNS)
        ]
        foreign = _campaign(other, other_owner, "他社の案内", started, recipients=SMALL_MESSAGES * 10)
        for campaign in [*small, foreign]:
            load_messages(campaign, SMALL_MESSAGES * (10 if campaign is foreign else 1))
            load_events(campaign, SMALL_MESSAGES * 3)
            derive_tracking(campaign)
        _, timings["vacuum_analyze_s"] = timed(lambda: _execute("VACUUM ANALYZE"))
        finish_count_ms = finish(big)
        for campaign in [*small, foreign]:
            finish(campaign)
        yield {
            "figure": "load_1m_messages_3m_events",
            "messages": Message.objects.filter(campaign=big).count(),
            "events": Event.objects.filter(campaign_id=big.pk).count(),
            "campaign_activity_rows": CampaignActivity.objects.filter(campaign=big).count(),
            "link_activity_rows": LinkActivity.objects.filter(campaign=big).count(),
            **{name: round(ms / 1000, 1) for name, ms in timings.items()},
        }

        stats = selectors.campaign_stats(big)
        recount = recount_from_messages(big)
        yield {
            "figure": "campaign_stats_1m",
            **runs(lambda: selectors.campaign_stats(big)),
            "queries": len(captured(lambda: selectors.campaign_stats(big))),
            "goal_ms": 100,
            "equals_a_recount_of_the_messages": recount == {name: getattr(stats, name) for name in recount},
            "sent": stats.sent,
            "delivered": stats.delivered,
            "opened": stats.opened,
            "clicked": stats.clicked,
            "machine_opened": stats.machine_opened,
            "machine_clicked": stats.machine_clicked,
            "unsubscribed": stats.unsubscribed,
            "failed": stats.failed,
            "timeline_points": len(stats.timeline),
            "timeline_step": stats.timeline_step,
            "links": [[link.number, link.clicks, link.unique_clicks] for link in stats.links],
        }
        print(f"--- campaign_stats_1m\n{explain_all(lambda: selectors.campaign_stats(big))}", file=sys.stderr)

        page = list(Campaign.objects.filter(tenant=tenant).order_by("-id"))[:50]
        yield {
            "figure": "campaign_figures_page",
            "campaigns": len(page),
            **runs(lambda: selectors.campaign_figures(page)),
            "queries": len(captured(lambda: selectors.campaign_figures(page))),
        }

        client = Client()
        client.force_login(owner)

        def dashboard() -> None:
            response = client.get(f"/campaigns/{big.pk}/")
            if response.status_code != 200:
                raise RuntimeError(f"dashboard answered {response.status_code}")

        yield {
            "figure": "dashboard_page_1m",
            **runs(dashboard, count=10),
            "queries": len(captured(dashboard)),
        }
        print(f"--- dashboard_page_1m\n{explain_all(dashboard)}", file=sys.stderr)

        yield {
            "figure": "live_count_1m",
            **runs(lambda: selectors.sending_progress(big), count=5),
            "finish_count_ms": round(finish_count_ms, 1),
            "note": "the grouped count over the messages that the stored outcome saves on every view",
        }

        def export() -> tuple[int, int]:
            response = client.get(f"/campaigns/{big.pk}/results.csv")
            size = lines = 0
            for chunk in response.streaming_content:
                size += len(chunk)
                lines += chunk.count(b"\n")
            return size, lines

        (size, lines), export_ms = timed(export)
        yield {
            "figure": "results_csv_1m",
            "rows": lines - 1,
            "mb": round(size / 1024 / 1024, 1),
            "s": round(export_ms / 1000, 1),
            "rows_per_s": round((lines - 1) / (export_ms / 1000)),
        }
    finally:
        drop(tenant)
        drop(other)
