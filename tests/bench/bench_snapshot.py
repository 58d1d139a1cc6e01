"""The snapshot (S1) of a 1,000,000-lead list into Message rows, and the sending benchmarks' data loader.

Data: 1,000,000 generated Japanese B2B leads (leads.demo_data: 200 company domains, an info@ address
every 40 leads, an address shared by two leads every 75) in one tenant, loaded with COPY; 0.2 % of the
addresses are not deliverable and 3 % are on the tenant's suppression list. Another tenant holds
5,000 leads, so the tenant condition has something to leave out. The tables are VACUUM ANALYZEd after
loading, as autovacuum does in production, and a CHECKPOINT writes the load back to disk, as the database
does within minutes (else the snapshot pays for the load's checkpoint and the full pages it then logs).
No tags (the list's filter does not use them).

Figures:
- load_1m_leads_copy: how long loading took (not a goal; it tells how much of the module's time is set-up).
- snapshot_1m_leads: `services.start_sending` of a campaign whose list holds every lead of the
  tenant (filter {"all": []}): the sending checks (they count nobody: the snapshot does), the snapshot
  (one statement: the leads classified once, the exclusions counted, one INSERT ... SELECT DISTINCT ON),
  the campaign update and the commit; the fan-out to the
  broker is replaced by a no-op so nothing reaches Redis. `take_snapshot_s` is the snapshot alone,
  `breakdown_s` one recipient count alone. Goal: <= 10 s. Also the exclusion counts and the size of
  campaigns_message (table, indexes, total, each index) afterwards (VACUUM FULL before the snapshot, so
  rows that earlier benchmark modules deleted are not counted). EXPLAIN of both queries goes to stderr.
The data of both tenants is deleted at the end (the snapshot's rows too), so later modules start lean.
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Tenant, User
from campaigns import services, snapshot
from campaigns.models import Campaign, CampaignStatus, Message
from campaigns.selectors import recipient_breakdown
from leads.addresses import normalize_email
from leads.demo_data import demo_leads
from leads.models import Lead, LeadList, Suppression
from tests.bench.bench_rendering import BODY
from tests.campaign_world import make_campaign, make_ready_to_send

LEADS = 1_000_000
OTHER_TENANT_LEADS = 5_000
COPY_CHUNK = 100_000
SUBJECT = "{{CompanyName}} {{LastName}}様へ新製品のご案内"
LEAD_COLUMNS = (
    "tenant_id", "owner_id", "company_name", "last_name", "first_name", "email", "email_normalized", "phone",
    "department", "title", "industry", "prefecture", "employees", "website", "status", "created_at", "updated_at",
)  # fmt: skip
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def lead_rows(rng: random.Random, count: int, *, exclusions: bool = True) -> Iterator[dict]:
    """demo_leads rows; with `exclusions`, 0.2 % undeliverable addresses on top of its info@ and shared ones,
    without, every address deliverable and different (so every lead is a recipient)."""
    seen_previous = None
    for number, row in enumerate(demo_leads(rng, count)):
        domain = row["website"].removeprefix("https://www.").rstrip("/")
        if exclusions:
            if number % 500 == 123:
                row["email"] = f"{row['email'].partition('@')[0]}@localhost"  # no dot in the domain: invalid
        elif row["email"].startswith("info@") or row["email"] == seen_previous:
            row["email"] = f"lead{number}@{domain}"
        seen_previous = row["email"]
        yield row


def _cell(value) -> str:
    if value is None:
        return "\\N"
    return value.translate(_COPY_ESCAPES) if isinstance(value, str) else str(value)


def copy_leads(tenant: Tenant, owners: list[User], rows: Iterable[dict], rng: random.Random) -> list[str]:
    """COPY the rows in as the tenant's leads (chunks of COPY_CHUNK); their normalised addresses."""
    now = timezone.now()
    table = connection.ops.quote_name(Lead._meta.db_table)
    sql = f"COPY {table} ({', '.join(LEAD_COLUMNS)}) FROM STDIN"
    owner_ids = [owner.pk for owner in owners] + [None]
    two_years = 2 * 365 * 24 * 60
    addresses: list[str] = []
    buffer = io.StringIO()
    in_buffer = 0

    def flush() -> None:
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        address = normalize_email(row["email"])
        addresses.append(address)
        created = (now - timedelta(minutes=rng.randint(0, two_years))).isoformat()
        values = (
            tenant.pk, rng.choice(owner_ids), row["company_name"], row["last_name"], row["first_name"], row["email"],
            address, row["phone"], row["department"], row["title"], row["industry"], row["prefecture"],
            row["employees"], row["website"], row["status"], created, created,
        )  # fmt: skip
        buffer.write("\t".join(_cell(value) for value in values) + "\n")
        in_buffer += 1
        if in_buffer >= COPY_CHUNK:
            flush()
            in_buffer = 0
    if in_buffer:
        flush()
    return addresses


def suppress(tenant: Tenant, addresses: Iterable[str]) -> int:
    """Put the addresses on the tenant's suppression list (unsubscribed); how many."""
    unique = sorted(set(addresses))
    Suppression.objects.bulk_create(
        [Suppression(tenant=tenant, email_normalized=address, reason="unsubscribed") for address in unique],
        batch_size=5000,
    )
    return len(unique)


@dataclass
class SendingWorld:
    tenant: Tenant
    owner: User
    lead_list: LeadList
    campaign: Campaign
    leads: int
    suppressed: int


def sending_world(
    name: str, leads: int, *, seed: int, exclusions: bool = True, suppressed_share: float = 0.0
) -> SendingWorld:
    """A tenant ready to send with `leads` leads (COPY), a list of all of them and a draft campaign.

    The tenant's rate is a million mails per second (the throttle is not what is measured); the
    campaign has the rendering benchmark's body (5 tracked links, merge tags, the unsubscribe link).
    """
    rng = random.Random(seed)
    tenant = Tenant.objects.create(name=name, has_mail_plan=True, send_rate_per_second=1_000_000)
    make_ready_to_send(tenant)
    owners = [
        User.objects.create_user(email=f"rep{number}.{seed}@bench.example", tenant=tenant, password=None)
        for number in range(10)
    ]
    addresses = copy_leads(tenant, owners, lead_rows(rng, leads, exclusions=exclusions), rng)
    unique = sorted(set(addresses))
    suppressed = suppress(tenant, (address for address in unique if rng.random() < suppressed_share))
    lead_list = LeadList.objects.create(tenant=tenant, name="全リード", filter={"all": []})
    campaign = make_campaign(tenant, owners[0], lead_list=lead_list, subject=SUBJECT, body_html=BODY)
    return SendingWorld(tenant, owners[0], lead_list, campaign, leads, suppressed)


def snapshot_now(campaign: Campaign) -> Campaign:
    """`services.start_sending` as the worker runs it, without queueing the batches (nothing reaches Redis)."""
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.QUEUED, queued_at=timezone.now())
    with mock.patch("campaigns.tasks.fan_out"):
        started = services.start_sending(campaign.pk)
    if started is None or started.status != CampaignStatus.SENDING:
        raise RuntimeError(f"the campaign did not start: {started and started.status_note}")
    return started


def drop_tenant(tenant: Tenant) -> None:
    """Delete a benchmark tenant with its messages, leads and suppressions (set-based, not row by row)."""
    with connection.cursor() as cursor:
        for model in (Message, Lead, Suppression):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
    Campaign.objects.filter(tenant=tenant).delete()  # before the owners (PROTECT)
    tenant.delete()


def relation_sizes_mb(table: str) -> dict[str, float]:
    """Sizes in MB of the table, its indexes together, the total, and each index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(%s), pg_indexes_size(%s), pg_total_relation_size(%s)", [table, table, table]
        )
        sizes = dict(zip(("table_mb", "indexes_mb", "total_mb"), cursor.fetchone(), strict=True))
        cursor.execute(
            "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
            "WHERE relname = %s ORDER BY 2 DESC, 1",
            [table],
        )
        indexes = cursor.fetchall()
    mb = 1024 * 1024
    return {
        **{name: round(size / mb, 1) for name, size in sizes.items()},
        "index_mb": {name: round(size / mb, 1) for name, size in indexes},
    }


def _timing(seconds: list[float], function):
    """`function`, recording how long each call took in `seconds`."""

    def timed(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - begin)

    return timed


def _plans(campaign: Campaign) -> str:
    """EXPLAIN (no ANALYZE: that would run them again) of the recipient count and the snapshot's statement."""
    with CaptureQueriesContext(connection) as queries:
        recipient_breakdown(campaign.lead_list)
    snapshot_sql, params = snapshot.count_and_insert_statement(campaign)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries[-1]["sql"])
        breakdown_plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + snapshot_sql, params)
        snapshot_plan = "\n".join(row[0] for row in cursor.fetchall())
    return f"--- recipient_breakdown\n{breakdown_plan}\n--- the snapshot's statement\n{snapshot_plan}"


def run() -> Iterator[dict]:
    started = time.perf_counter()
    world = sending_world("スナップショット株式会社", LEADS, seed=11, suppressed_share=0.03)
    other = sending_world("他社株式会社", OTHER_TENANT_LEADS, seed=12)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Lead, Suppression):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        # rows earlier modules deleted would count in the sizes reported below; the table holds no live rows here
        cursor.execute(f"VACUUM FULL {Message._meta.db_table}")
        # the load's own write-back, which a database in steady state has long done, is not the snapshot's cost
        cursor.execute("CHECKPOINT")
    vacuum_s = time.perf_counter() - started
    yield {
        "figure": "load_1m_leads_copy",
        "leads": LEADS + OTHER_TENANT_LEADS,
        "suppressed_addresses": world.suppressed,
        "load_s": round(load_s, 1),
        "vacuum_analyze_s": round(vacuum_s, 1),
    }
    try:
        checks_s: list[float] = []
        snapshot_s: list[float] = []
        started = time.perf_counter()
        with (
            mock.patch.object(services, "sending_problems", _timing(checks_s, services.sending_problems)),
            mock.patch.object(services, "take_snapshot", _timing(snapshot_s, services.take_snapshot)),
        ):
            campaign = snapshot_now(world.campaign)
        start_sending_s = time.perf_counter() - started
        messages = Message.objects.filter(campaign=campaign).count()
        started = time.perf_counter()
        breakdown = recipient_breakdown(world.lead_list)
        breakdown_s = time.perf_counter() - started
        yield {
            "figure": "snapshot_1m_leads",
            "leads": LEADS,
            "messages": messages,
            "recipients_total": campaign.recipients_total,
            "exclusions": campaign.exclusions,
            "start_sending_s": round(start_sending_s, 2),
            "sending_checks_s": round(checks_s[0], 2),
            "take_snapshot_s": round(snapshot_s[0], 2),
            "save_and_commit_s": round(start_sending_s - checks_s[0] - snapshot_s[0], 2),
            "breakdown_s": round(breakdown_s, 2),
            "breakdown_recipients": breakdown.recipients,
            "rows_in_campaigns_message": Message.objects.count(),
            "campaigns_message": relation_sizes_mb(Message._meta.db_table),
            "goal_s": 10,
            "note": "start_sending_s = sending_checks_s + take_snapshot_s (one statement: the exclusion counts "
            "and the INSERT) + save_and_commit_s; breakdown_s is one recipient count alone",
        }
        print(_plans(campaign), file=sys.stderr)
    finally:
        started = time.perf_counter()
        drop_tenant(world.tenant)
        drop_tenant(other.tenant)
        print(f"--- bench_snapshot: data deleted in {time.perf_counter() - started:.1f} s", file=sys.stderr)
