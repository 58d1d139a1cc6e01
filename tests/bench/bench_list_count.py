"""How fast a lead list counts its leads (L3): 200,000 leads in one tenant.

Data: 200,000 generated Japanese B2B leads (leads.demo_data) spread over two years, ten owners,
0-2 tags each, 3 % of the addresses suppressed; another tenant with 5,000 leads, its own tags
and suppressions. The tables are VACUUM ANALYZEd after loading, as autovacuum does in production.

Figures (best of 5, each one the whole selector: compile the filter, COUNT in PostgreSQL):
- list_count_200k_3_conditions: industry in [IT, 製造] AND employees between 50 and 1000 AND
  unsubscribed is false. Goal: <= 100 ms.
- list_count_200k_tag: has the tag 展示会2026.
- list_count_200k_contains: company name contains システム.
- list_count_200k_selective: prefecture 沖縄県 AND status qualified or won (the (tenant, field) indexes).
- list_page_200k_3_conditions: the first page (50 leads, newest first) the list screen shows.
EXPLAIN ANALYZE of each query goes to stderr.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Tenant, User
from leads.addresses import normalize_email
from leads.demo_data import TAGS, demo_leads
from leads.models import Lead, Suppression, Tag
from leads.selectors import leads_matching
from tests.bench.measure import best_of, timed

LEADS = 200_000
OTHER_TENANT_LEADS = 5_000
CHUNK = 5_000

FILTERS = {
    "list_count_200k_3_conditions": {
        "all": [
            {"field": "industry", "op": "in", "value": ["IT", "製造"]},
            {"field": "employees", "op": "between", "value": [50, 1000]},
            {"field": "unsubscribed", "op": "is", "value": False},
        ]
    },
    "list_count_200k_tag": {"all": [{"field": "tags", "op": "eq", "value": "展示会2026"}]},
    "list_count_200k_contains": {"all": [{"field": "company_name", "op": "contains", "value": "システム"}]},
    "list_count_200k_selective": {
        "all": [
            {"field": "prefecture", "op": "eq", "value": "沖縄県"},
            {"field": "status", "op": "in", "value": ["qualified", "won"]},
        ]
    },
}


def load_tenant(name: str, count: int, seed: int) -> Tenant:
    rng = random.Random(seed)
    tenant = Tenant.objects.create(name=name, has_mail_plan=True)
    owners = [
        User.objects.create_user(email=f"rep{number}.{seed}@bench.example", tenant=tenant, password=None)
        for number in range(10)
    ]
    tags = {tag_name: Tag.objects.create(tenant=tenant, name=tag_name) for tag_name in TAGS}
    now = timezone.now()
    Through = Lead.tags.through
    rows = demo_leads(rng, count)
    suppressed: set[str] = set()
    while True:
        chunk = [row for _number, row in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            break
        leads = []
        for row in chunk:
            lead = Lead(
                tenant=tenant, owner=rng.choice([*owners, None]), **{k: v for k, v in row.items() if k != "tags"}
            )
            lead.email_normalized = normalize_email(lead.email)
            lead.created_at = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            leads.append(lead)
            if rng.random() < 0.03:
                suppressed.add(lead.email_normalized)
        with transaction.atomic():
            Lead.objects.bulk_create(leads)
            Through.objects.bulk_create(
                [
                    Through(lead_id=lead.pk, tag_id=tags[tag].pk)
                    for lead, row in zip(leads, chunk, strict=True)
                    for tag in row["tags"]
                ]
            )
    Suppression.objects.bulk_create(
        [Suppression(tenant=tenant, email_normalized=address, reason="unsubscribed") for address in suppressed]
    )
    return tenant


def explain(evaluate) -> str:
    """EXPLAIN ANALYZE of the (last) query `evaluate` runs, exactly as Django sent it."""
    with CaptureQueriesContext(connection) as queries:
        evaluate()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + queries[-1]["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


def run() -> Iterator[dict]:
    (tenant, _other), load_ms = timed(
        lambda: (load_tenant("ベンチ株式会社", LEADS, 1), load_tenant("他社株式会社", OTHER_TENANT_LEADS, 2))
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    yield {"figure": "load_200k_leads", "leads": LEADS, "ms": round(load_ms)}

    for figure, lead_filter in FILTERS.items():
        matching = leads_matching(tenant, lead_filter).count()
        ms = best_of(lambda lead_filter=lead_filter: leads_matching(tenant, lead_filter).count())
        plan = explain(lambda lead_filter=lead_filter: leads_matching(tenant, lead_filter).count())
        print(f"--- {figure}\n{plan}", file=sys.stderr)
        yield {"figure": figure, "leads": LEADS, "ms": round(ms, 1), "matching": matching, "goal_ms": 100}

    lead_filter = FILTERS["list_count_200k_3_conditions"]

    def first_page():
        return list(leads_matching(tenant, lead_filter).select_related("owner")[:50])

    ms = best_of(first_page)
    print(f"--- list_page_200k_3_conditions\n{explain(first_page)}", file=sys.stderr)
    yield {"figure": "list_page_200k_3_conditions", "leads": LEADS, "ms": round(ms, 1), "rows": 50}
