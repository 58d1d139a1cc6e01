"""Campaign results (D1, D2) of a 1,000,000-message campaign with 3,000,000 events.

Data (campaigns.sent_campaign_data: set-based SQL, deterministic; its docstring has the shares):
- 1,000,000 messages of one finished campaign, sent over 30 minutes, every status a campaign ends with.
- 3,000,000 events on them over the 14 days after sending, skewed to the first hours: provider events
  (delivered, bounced, complained), opens (some by machines), unsubscribes and clicks on the campaign's
  5 links and its honeypot.
- What tracking derives from them: the first-time timestamps on the messages, the campaign's counters per
  hour and shard, the link counters, and the outcome stored when the campaign ended.
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
from campaigns.sent_campaign_data import delete_campaign_rows, derive_tracking, load_events, load_messages
from campaigns.sent_campaign_data import finish as store_outcome
from tests.bench.measure import timed
from tracking.models import CampaignActivity, Event, LinkActivity

MESSAGES = 1_000_000
EVENTS = 3_000_000
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
    """The end of sending as finish_if_done does it (the outcome counted once and stored); its milliseconds."""
    return timed(lambda: store_outcome(campaign))[1]


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
    delete_campaign_rows(list(Campaign.objects.filter(tenant=tenant).values_list("id", flat=True)))
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
