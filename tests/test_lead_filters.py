"""The filter language (L3): every op on every kind of field, OR inside a condition, AND between
conditions, each validation error naming its problem, and tenant scoping."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from leads.filters import FilterError, compile_filter
from leads.models import Lead, LeadStatus, Suppression, Tag
from leads.selectors import leads_matching
from tests import factories

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def english():
    """Error messages are checked in English; the Japanese texts come from the catalogue."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(tenant_a, tenant_b, alice, bob, charlie):
    """Four leads of tenant A and a look-alike of tenant B that must never be counted."""
    aozora = factories.make_lead(
        tenant_a,
        company_name="株式会社青空システム",
        email="Sato@Aozora.co.jp",
        industry="IT",
        employees=50,
        prefecture="東京都",
        department="営業部",
        status=LeadStatus.NEW,
        owner=bob,
        tags=["展示会", "重要"],
    )
    fuji = factories.make_lead(
        tenant_a,
        company_name="富士工業株式会社",
        email="kato@fuji.jp",
        industry="製造",
        employees=1000,
        prefecture="大阪府",
        status=LeadStatus.CONTACTED,
        owner=alice,
        tags=["展示会"],
    )
    sakura = factories.make_lead(
        tenant_a,
        company_name="さくら商事",
        email="info@sakura.jp",
        industry="",
        employees=None,
        prefecture="東京都",
        status=LeadStatus.WON,
        owner=None,
    )
    abc = factories.make_lead(
        tenant_a,
        company_name="ABC Trading",
        email="buyer@abc.example",
        industry="小売",
        employees=10,
        prefecture="北海道",
        status=LeadStatus.LOST,
        owner=bob,
        tags=["重要"],
    )
    created = {
        aozora: datetime(2026, 1, 10, 10, 0, tzinfo=TOKYO),
        fuji: datetime(2026, 1, 10, 23, 30, tzinfo=TOKYO),
        sakura: datetime(2026, 1, 11, 0, 10, tzinfo=TOKYO),  # still 10 January in UTC
        abc: datetime(2025, 12, 31, 12, 0, tzinfo=TOKYO),
    }
    for lead, at in created.items():
        Lead.objects.filter(pk=lead.pk).update(created_at=at)
    Suppression.objects.create(tenant=tenant_a, email_normalized="info@sakura.jp", reason="unsubscribed")
    # Tenant B: the same kind of data, suppressing tenant A's aozora address for itself only.
    factories.make_lead(
        tenant_b,
        company_name="株式会社青空システム（B社の顧客）",
        email="sato@aozora.co.jp",
        industry="IT",
        employees=50,
        status=LeadStatus.NEW,
        owner=charlie,
        tags=["展示会", "重要"],
    )
    Suppression.objects.create(tenant=tenant_b, email_normalized="sato@aozora.co.jp", reason="unsubscribed")
    return {"aozora": aozora, "fuji": fuji, "sakura": sakura, "abc": abc}


def matching(tenant, *conditions) -> set[str]:
    return {lead.company_name for lead in leads_matching(tenant, {"all": list(conditions)})}


def cond(field, op, value=None, **extra):
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return condition | extra


AOZORA, FUJI, SAKURA, ABC = "株式会社青空システム", "富士工業株式会社", "さくら商事", "ABC Trading"
EVERYONE = {AOZORA, FUJI, SAKURA, ABC}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("industry", "eq", "IT"), {AOZORA}),
        (cond("industry", "eq", ["IT", "製造"]), {AOZORA, FUJI}),
        (cond("industry", "in", ["IT", "製造", "金融"]), {AOZORA, FUJI}),
        (cond("industry", "ne", "IT"), {FUJI, SAKURA, ABC}),  # a blank industry is "not IT"
        (cond("industry", "ne", ["IT", "製造"]), {SAKURA, ABC}),
        (cond("company_name", "contains", "システム"), {AOZORA}),
        (cond("company_name", "contains", "abc"), {ABC}),  # case-insensitive
        (cond("company_name", "contains", ["システム", "工業"]), {AOZORA, FUJI}),
        (cond("company_name", "startswith", "株式会社"), {AOZORA}),
        (cond("company_name", "startswith", "abc t"), {ABC}),
        (cond("company_name", "startswith", ["さくら", "富士"]), {SAKURA, FUJI}),
        (cond("industry", "empty"), {SAKURA}),
        (cond("industry", "not_empty"), {AOZORA, FUJI, ABC}),
        (cond("department", "eq", "営業部"), {AOZORA}),
        (cond("department", "empty", None), {FUJI, SAKURA, ABC}),
        (cond("prefecture", "in", ["東京都"]), {AOZORA, SAKURA}),
    ],
)
def test_text_ops(world, tenant_a, condition, expected):
    assert matching(tenant_a, condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("email", "eq", "SATO@aozora.CO.JP"), {AOZORA}),
        (cond("email", "eq", "ｓａｔｏ＠ａｏｚｏｒａ.co.jp"), {AOZORA}),  # typed with a Japanese IME
        (cond("email", "in", ["kato@fuji.jp", "nobody@nowhere.jp"]), {FUJI}),
        (cond("email", "contains", "FUJI"), {FUJI}),
        (cond("email", "startswith", "Info@"), {SAKURA}),
        (cond("email", "ne", "kato@fuji.jp"), {AOZORA, SAKURA, ABC}),
    ],
)
def test_email_compares_the_normalized_address(world, tenant_a, condition, expected):
    assert matching(tenant_a, condition) == expected


def test_text_values_are_data_never_sql(world, tenant_a):
    assert matching(tenant_a, cond("company_name", "contains", "%")) == set()
    assert matching(tenant_a, cond("company_name", "contains", "_")) == set()
    assert matching(tenant_a, cond("company_name", "eq", "x' OR '1'='1")) == set()
    assert Lead.objects.count() == 5


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("employees", "eq", 50), {AOZORA}),
        (cond("employees", "eq", [50, 10]), {AOZORA, ABC}),
        (cond("employees", "in", [1000, 10]), {FUJI, ABC}),
        (cond("employees", "ne", 50), {FUJI, SAKURA, ABC}),  # an unknown count is "not 50"
        (cond("employees", "ne", [50, 10]), {FUJI, SAKURA}),
        (cond("employees", "between", [50, 1000]), {AOZORA, FUJI}),
        (cond("employees", "between", [50, 50]), {AOZORA}),
        (cond("employees", "gte", 1000), {FUJI}),
        (cond("employees", "lte", 50), {AOZORA, ABC}),
        (cond("employees", "empty"), {SAKURA}),
        (cond("employees", "not_empty"), {AOZORA, FUJI, ABC}),
        (cond("employees", "eq", 50.0), {AOZORA}),  # JSON has no separate integer type
    ],
)
def test_number_ops(world, tenant_a, condition, expected):
    assert matching(tenant_a, condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # a day is the whole day in Asia/Tokyo: さくら at 00:10 on the 11th (JST) is not on the 10th
        (cond("created_at", "eq", "2026-01-10"), {AOZORA, FUJI}),
        (cond("created_at", "eq", ["2026-01-11", "2025-12-31"]), {SAKURA, ABC}),
        (cond("created_at", "before", "2026-01-10"), {ABC}),
        (cond("created_at", "after", "2026-01-10"), {SAKURA}),
        (cond("created_at", "gte", "2026-01-10"), {AOZORA, FUJI, SAKURA}),
        (cond("created_at", "lte", "2026-01-10"), {AOZORA, FUJI, ABC}),
        (cond("created_at", "between", ["2026-01-01", "2026-01-10"]), {AOZORA, FUJI}),
        (cond("created_at", "between", ["2026-01-10", "2026-01-10"]), {AOZORA, FUJI}),
        # date-times: without an offset in Asia/Tokyo, with one as given
        (cond("created_at", "eq", "2026-01-10T10:00:00+09:00"), {AOZORA}),
        (cond("created_at", "after", "2026-01-10T10:00"), {FUJI, SAKURA}),
        (cond("created_at", "gte", "2026-01-10T01:00:00Z"), {AOZORA, FUJI, SAKURA}),
        (cond("created_at", "lte", "2026-01-10T23:30:00"), {AOZORA, FUJI, ABC}),
        (cond("created_at", "before", "2026-01-10 23:30"), {AOZORA, ABC}),
        (cond("created_at", "between", ["2026-01-10T12:00", "2026-01-11T00:10"]), {FUJI, SAKURA}),
        (cond("created_at", "empty"), set()),
        (cond("created_at", "not_empty"), EVERYONE),
    ],
)
def test_date_ops(world, tenant_a, condition, expected):
    assert matching(tenant_a, condition) == expected


def test_updated_at_is_filtered_by_day_in_tokyo(world, tenant_a):
    today = timezone.localdate(timezone=TOKYO).isoformat()
    assert matching(tenant_a, cond("updated_at", "eq", today)) == EVERYONE
    assert matching(tenant_a, cond("updated_at", "before", today)) == set()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("status", "eq", "new"), {AOZORA}),
        (cond("status", "eq", ["new", "won"]), {AOZORA, SAKURA}),
        (cond("status", "in", ["contacted", "lost"]), {FUJI, ABC}),
        (cond("status", "ne", "new"), {FUJI, SAKURA, ABC}),
        (cond("status", "ne", ["new", "lost"]), {FUJI, SAKURA}),
    ],
)
def test_status_ops(world, tenant_a, condition, expected):
    assert matching(tenant_a, condition) == expected


def test_owner_ops(world, tenant_a, alice, bob):
    assert matching(tenant_a, cond("owner", "eq", bob.pk)) == {AOZORA, ABC}
    assert matching(tenant_a, cond("owner", "eq", [bob.pk, alice.pk])) == {AOZORA, ABC, FUJI}
    assert matching(tenant_a, cond("owner", "in", [alice.pk])) == {FUJI}
    assert matching(tenant_a, cond("owner", "ne", bob.pk)) == {FUJI, SAKURA}  # unowned leads are "not Bob's"
    assert matching(tenant_a, cond("owner", "ne", [bob.pk, alice.pk])) == {SAKURA}
    assert matching(tenant_a, cond("owner", "empty")) == {SAKURA}
    assert matching(tenant_a, cond("owner", "not_empty")) == {AOZORA, FUJI, ABC}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("tags", "eq", "展示会"), {AOZORA, FUJI}),
        (cond("tags", "eq", ["重要", "存在しないタグ"]), {AOZORA, ABC}),
        (cond("tags", "in", ["重要"]), {AOZORA, ABC}),
        (cond("tags", "ne", "展示会"), {SAKURA, ABC}),  # leads without tags do not have it
        (cond("tags", "ne", ["展示会", "重要"]), {SAKURA}),
        (cond("tags", "empty"), {SAKURA}),
        (cond("tags", "not_empty"), {AOZORA, FUJI, ABC}),
        (cond("tags", "eq", "存在しないタグ"), set()),
    ],
)
def test_tag_ops(world, tenant_a, condition, expected):
    assert matching(tenant_a, condition) == expected


def test_a_lead_with_several_matching_tags_is_counted_once(world, tenant_a):
    leads = leads_matching(tenant_a, {"all": [cond("tags", "in", ["展示会", "重要"])]})
    assert leads.count() == 3
    assert len(list(leads)) == 3


def test_unsubscribed_is_derived_from_the_tenants_suppression_list(world, tenant_a):
    assert matching(tenant_a, cond("unsubscribed", "is", True)) == {SAKURA}
    # tenant B suppressed aozora's address: that does not unsubscribe it for tenant A
    assert matching(tenant_a, cond("unsubscribed", "is", False)) == {AOZORA, FUJI, ABC}
    Suppression.objects.create(tenant=tenant_a, email_normalized="kato@fuji.jp", reason="hard_bounce")
    assert matching(tenant_a, cond("unsubscribed", "is", True)) == {SAKURA, FUJI}


def test_conditions_are_and_ed(world, tenant_a):
    assert matching(
        tenant_a,
        cond("industry", "in", ["IT", "製造"]),
        cond("employees", "between", [50, 1000]),
        cond("unsubscribed", "is", False),
        cond("prefecture", "eq", "大阪府"),
    ) == {FUJI}


def test_no_conditions_is_every_lead_of_the_tenant_only(world, tenant_a, tenant_b):
    assert matching(tenant_a) == EVERYONE
    assert leads_matching(tenant_a, {"all": []}).count() == 4
    assert leads_matching(tenant_b, {"all": [cond("industry", "eq", "IT")]}).count() == 1
    assert matching(tenant_a, cond("company_name", "contains", "B社")) == set()


def test_owner_of_another_tenant_is_refused_by_id(world, tenant_a, charlie):
    with pytest.raises(FilterError) as caught:
        compile_filter({"all": [cond("owner", "eq", charlie.pk)]}, tenant_a)
    assert f"User id {charlie.pk} is not a user of your company" in str(caught.value)


def test_tags_and_unsubscribed_use_exists_subqueries(world, tenant_a):
    leads = leads_matching(tenant_a, {"all": [cond("tags", "in", ["重要"]), cond("unsubscribed", "is", False)]})
    sql = str(leads.query)
    assert sql.count("EXISTS") == 2
    assert "DISTINCT" not in sql
    assert leads.count() == 2


# --- Validation: each mistake is refused with a message naming it --------------------------------

OK = cond("industry", "eq", "IT")


@pytest.mark.parametrize(
    ("lead_filter", "message"),
    [
        (["industry"], 'must be a JSON object like {"all": [...]}'),
        ("industry = IT", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({}, 'needs an "all" list'),
        ({"all": {"field": "industry"}}, '"all" must be a list of conditions'),
        ({"any": [OK]}, 'Nesting is not supported: the filter has one "all" list of conditions, not "any"'),
        ({"all": [OK], "any": [OK]}, "Nesting is not supported"),
        ({"all": [OK, {"all": [OK]}]}, 'Condition 2: Nesting is not supported: "all" inside a condition'),
        ({"all": [{"any": [OK, OK]}]}, 'Condition 1: Nesting is not supported: "any" inside a condition'),
        ({"all": [OK] * 51}, "at most 50 conditions; this one has 51"),
        ({"all": ["industry"]}, 'Condition 1: A condition must be an object with "field", "op" and "value"'),
        ({"all": [{"op": "eq", "value": "IT"}]}, 'Condition 1: "field" is missing'),
        ({"all": [OK, cond("salary", "gte", 100)]}, 'Condition 2: Unknown field "salary"'),
        ({"all": [cond("industry; DROP TABLE leads_lead", "eq", "IT")]}, "Unknown field"),
        ({"all": [{"field": "industry", "value": "IT"}]}, 'Condition 1 (industry): "op" is missing'),
        ({"all": [cond("industry", "like", "IT")]}, 'Condition 1 (industry): Unknown op "like"'),
        ({"all": [cond("industry", "eq", "IT", negate=True)]}, 'Unknown key "negate"'),
        ({"all": [cond("employees", "contains", "5")]}, 'Condition 1 (employees): The op "contains" cannot be used'),
        ({"all": [cond("industry", "between", ["A", "B"])]}, 'The op "between" cannot be used with this field'),
        ({"all": [cond("status", "contains", "ne")]}, 'The op "contains" cannot be used'),
        ({"all": [cond("unsubscribed", "eq", True)]}, 'The op "eq" cannot be used with this field; use one of: is'),
        ({"all": [cond("tags", "gte", "a")]}, 'The op "gte" cannot be used'),
        ({"all": [cond("created_at", "contains", "2026")]}, 'The op "contains" cannot be used'),
        ({"all": [cond("status", "empty")]}, 'The op "empty" cannot be used'),
        ({"all": [{"field": "industry", "op": "eq"}]}, 'The op "eq" needs a "value"'),
        ({"all": [cond("industry", "empty", "IT")]}, 'The op "empty" takes no value'),
        ({"all": [cond("industry", "eq", 5)]}, "The value must be text or a list of texts, not 5"),
        ({"all": [cond("industry", "eq", ["IT", 5])]}, "Every value must be text"),
        ({"all": [cond("industry", "eq", "  ")]}, "A value must not be blank"),
        ({"all": [cond("industry", "eq", "長" * 501)]}, "at most 500 characters"),
        ({"all": [cond("company_name", "contains", "a\x00b")]}, "must not contain NUL characters"),
        ({"all": [cond("tags", "eq", "\x00")]}, "must not contain NUL characters"),
        ({"all": [cond("industry", "in", "IT")]}, 'The op "in" needs a list of values'),
        ({"all": [cond("industry", "in", [])]}, "The list of values is empty"),
        ({"all": [cond("industry", "in", [str(n) for n in range(1001)])]}, "at most 1000 values; this one has 1001"),
        ({"all": [cond("employees", "eq", "50")]}, '"50" is not a whole number'),
        ({"all": [cond("employees", "gte", 5.5)]}, "5.5 is not a whole number"),
        ({"all": [cond("employees", "eq", True)]}, "true is not a whole number"),
        ({"all": [cond("employees", "eq", 10**12)]}, "1000000000000 is too large"),
        ({"all": [cond("employees", "in", 50)]}, 'The op "in" needs a list of values'),
        ({"all": [cond("employees", "gte", [50])]}, 'The op "gte" takes one number, not a list'),
        ({"all": [cond("employees", "in", list(range(1001)))]}, "at most 1000 values"),
        ({"all": [cond("employees", "between", [50])]}, '"between" needs a list of exactly two values'),
        ({"all": [cond("employees", "between", [1, 2, 3])]}, "exactly two values"),
        ({"all": [cond("employees", "between", "50-1000")]}, "exactly two values"),
        ({"all": [cond("employees", "between", [1000, 50])]}, "must not be greater than the second"),
        ({"all": [cond("employees", "between", [50, "1000"])]}, '"1000" is not a whole number'),
        ({"all": [cond("created_at", "eq", "2026-02-30")]}, '"2026-02-30" is not a date (YYYY-MM-DD)'),
        ({"all": [cond("created_at", "after", "yesterday")]}, '"yesterday" is not a date'),
        ({"all": [cond("created_at", "before", 20260101)]}, "20260101 is not a date"),
        ({"all": [cond("created_at", "before", "0001-01-01")]}, "is not a date"),
        ({"all": [cond("created_at", "between", ["2026-02-01", "2026-01-01"])]}, "must not be later than"),
        ({"all": [cond("status", "eq", "open")]}, 'Unknown status "open"; use one of: new, contacted'),
        ({"all": [cond("status", "in", ["new", "won", "closed"])]}, 'Unknown status "closed"'),
        ({"all": [cond("owner", "eq", "12")]}, '"12" is not a user id'),
        ({"all": [cond("owner", "eq", 0)]}, "0 is not a user id"),
        ({"all": [cond("owner", "in", 12)]}, 'The op "in" needs a list of values'),
        ({"all": [cond("owner", "eq", 987654)]}, "User id 987654 is not a user of your company"),
        ({"all": [cond("unsubscribed", "is", "yes")]}, 'The value must be true or false, not "yes"'),
        ({"all": [cond("unsubscribed", "is", 0)]}, "The value must be true or false"),
        ({"all": [{"mail": {"campaign": 987654, "event": "clicked"}}]}, "Campaign id 987654 is not a campaign of"),
        ({"all": [cond("tags", "eq", "")]}, "A value must not be blank"),
    ],
)
def test_bad_filters_are_refused_with_a_message_naming_the_problem(world, tenant_a, lead_filter, message):
    with pytest.raises(FilterError) as caught:
        leads_matching(tenant_a, lead_filter).count()
    assert message in str(caught.value)


def test_error_knows_the_condition_for_the_filter_screen(world, tenant_a):
    with pytest.raises(FilterError) as caught:
        compile_filter({"all": [OK, cond("employees", "gte", "many")]}, tenant_a)
    error = caught.value
    assert error.index == 1
    assert error.field == "employees"
    assert error.problem == '"many" is not a whole number.'
    assert str(error) == 'Condition 2 (employees): "many" is not a whole number.'


def test_several_unknown_owner_ids_are_all_named(world, tenant_a, bob, charlie):
    with pytest.raises(FilterError) as caught:
        compile_filter({"all": [cond("owner", "in", [bob.pk, charlie.pk, 987654])]}, tenant_a)
    assert f"User ids {charlie.pk}, 987654 are not users of your company" in str(caught.value)


def test_tag_names_of_another_tenant_match_nothing(world, tenant_a, tenant_b):
    Tag.objects.create(tenant=tenant_b, name="B社だけのタグ")
    assert matching(tenant_a, cond("tags", "eq", "B社だけのタグ")) == set()
