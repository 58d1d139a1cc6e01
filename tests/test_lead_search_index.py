"""The lead search (selectors.leads_for_index) is served by the trigram indexes of migration leads 0002 on
PostgreSQL: each of its four icontains matches the indexed expression, so a search of three characters or
more never scans every lead (a million leads: 2.9 s without them, 9 ms with them; README, make bench-scale)."""

from __future__ import annotations

from django.db import connection

from leads.models import Lead
from leads.selectors import lead_search_q, leads_for_index
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
    explained = plan(Lead.objects.filter(lead_search_q("青空システム")))  # the search's condition alone
    for column in ("company_name", "last_name", "first_name", "email_normalized"):
        assert f"lead_search_{column}" in explained
    leads = leads_for_index(tenant_a, search="青空システム", sort="company")
    assert [lead.email for lead in leads] == ["hasegawa@aozora.example"]
    assert [lead.last_name for lead in leads_for_index(tenant_a, search="谷川")] == ["長谷川"]
    assert leads_for_index(tenant_a, search="AOZORA").count() == 1  # case-insensitive, on the address too
