"""The lead queries that must not read every lead of a large tenant use their indexes (PostgreSQL; the figures
are make bench-scale's at a million leads):
- the search (selectors.leads_for_index): the trigram indexes of migration leads 0002, one per column its
  icontains matches (a company name: 2.9 s without them, 9 ms with them);
- counts on the segment columns (industry, prefecture, status, owner, employees), as lists and the API's
  field filters make them: an index-only scan of lead_tenant_segment (310 ms -> 10 ms)."""

from __future__ import annotations

from django.db import connection

from leads.models import Lead
from leads.selectors import lead_search_q, leads_for_index, leads_matching
from tests.factories import make_lead


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: force the choice a million makes
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_of_three_characters_uses_the_trigram_indexes(tenant_a, tenant_b):
    make_lead(tenant_a, company_name="株式会社青空システム", last_name="長谷川", email="hasegawa@aozora.example")
    make_lead(tenant_b, company_name="株式会社青空システム", email="other@aozora.example")
    Lead.objects.bulk_create(
        Lead(tenant=tenant_a, company_name=f"株式会社テスト{n}", last_name="佐藤", first_name="太郎",
             email=f"sato{n}@test{n}.example", email_normalized=f"sato{n}@test{n}.example")
        for n in range(2000)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Lead._meta.db_table}")
    explained = plan(Lead.objects.filter(lead_search_q("青空システム")))  # the search's condition alone
    for column in ("company_name", "last_name", "first_name", "email_normalized"):
        assert f"lead_search_{column}" in explained
    leads = leads_for_index(tenant_a, search="青空システム", sort="company")
    assert [lead.email for lead in leads] == ["hasegawa@aozora.example"]
    assert [lead.last_name for lead in leads_for_index(tenant_a, search="谷川")] == ["長谷川"]
    assert leads_for_index(tenant_a, search="AOZORA").count() == 1  # case-insensitive, on the address too


def test_counts_on_segment_columns_use_the_segment_index(tenant_a, alice):
    industries = ["IT", "製造", "小売", "金融", "建設", "物流", "教育", "飲食", "医療", "不動産"]
    prefectures = ["東京都", "大阪府", "神奈川県", "愛知県", "福岡県", "北海道", "埼玉県", "千葉県", "兵庫県", "京都府"]
    Lead.objects.bulk_create(
        Lead(tenant=tenant_a, email=f"lead{n}@example.co.jp", email_normalized=f"lead{n}@example.co.jp",
             industry=industries[n % 10], prefecture=prefectures[n // 10 % 10], owner=alice if n % 2 else None)
        for n in range(3000)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Lead._meta.db_table}")  # the planner's choice follows these rows, not earlier tests'
    filtered = leads_for_index(tenant_a).filter(industry="製造", prefecture="東京都")
    assert "lead_tenant_segment" in plan(filtered.order_by().values("id"))
    in_a_list = leads_matching(
        tenant_a,
        {"all": [{"field": "industry", "op": "in", "value": ["IT", "製造"]},
                 {"field": "prefecture", "op": "in", "value": ["東京都", "神奈川県"]},
                 {"field": "owner", "op": "eq", "value": alice.pk}]},
    )  # fmt: skip
    assert "lead_tenant_segment" in plan(in_a_list.order_by().values("id"))
    assert filtered.count() == 30
    assert in_a_list.count() == 60  # 製造 (odd numbers: Alice's) in Tokyo or Kanagawa
