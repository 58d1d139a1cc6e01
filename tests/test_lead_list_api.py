"""The lead list API (L3, I2): CRUD, the leads of a list, preview counts, 400s naming the problem,
404 for another tenant's lists, and the OpenAPI schema."""

import pytest
import yaml
from django.conf import settings as django_settings
from django.test import Client

from leads.models import Lead, LeadList, Suppression
from tests import factories

IT_FILTER = {"all": [{"field": "industry", "op": "in", "value": ["IT", "製造"]}]}


@pytest.fixture
def api(bob_api):
    """Bob's API client; messages are checked in English (the Japanese ones come from the catalogue)."""
    bob_api.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return bob_api


@pytest.fixture
def leads(tenant_a, tenant_b, bob):
    factories.make_lead(tenant_a, company_name="青空システム", industry="IT", owner=bob, tags=["展示会", "重要"])
    factories.make_lead(tenant_a, company_name="富士工業", industry="製造", email="info@fuji.jp")
    factories.make_lead(tenant_a, company_name="さくら銀行", industry="金融")
    factories.make_lead(tenant_b, company_name="ベータの顧客", industry="IT")
    Suppression.objects.create(tenant=tenant_a, email_normalized="info@fuji.jp", reason="hard_bounce")


@pytest.fixture
def it_list(tenant_a, leads):
    return factories.make_lead_list(tenant_a, name="IT・製造", filter=IT_FILTER)


def test_list_is_paginated_and_shows_only_own_lists(api, it_list, tenant_b):
    factories.make_lead_list(tenant_b, name="ベータのリスト")
    response = api.get("/api/v1/lead-lists/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    (item,) = body["results"]
    assert item["id"] == it_list.pk
    assert item["name"] == "IT・製造"
    assert item["filter"] == IT_FILTER
    assert {"created_at", "updated_at"} <= set(item)


def test_create_returns_the_list_with_its_count_now(api, bob, leads):
    response = api.post("/api/v1/lead-lists/", {"name": " IT・製造 ", "filter": IT_FILTER}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "IT・製造"
    assert body["count"] == 2
    assert body["filter_error"] is None
    assert body["created_by"] == bob.pk
    lead_list = LeadList.objects.get(pk=body["id"])
    assert lead_list.tenant == bob.tenant and lead_list.filter == IT_FILTER


@pytest.mark.parametrize(
    ("lead_filter", "message"),
    [
        ({"all": [{"field": "employees", "op": "gte", "value": "many"}]}, 'Condition 1 (employees): "many" is not'),
        ({"any": []}, "Nesting is not supported"),
        ({"all": [{"field": "salary", "op": "eq", "value": 1}]}, 'Unknown field "salary"'),
        ({"all": [{"mail": {"campaign": "any", "event": "read"}}]}, 'Unknown mail event "read"'),
        ("industry = 'IT'", "must be a JSON object"),
    ],
)
def test_create_with_a_bad_filter_is_400_naming_the_problem(api, leads, lead_filter, message):
    response = api.post("/api/v1/lead-lists/", {"name": "x", "filter": lead_filter}, format="json")
    assert response.status_code == 400
    (error,) = response.json()["filter"]
    assert message in error
    assert not LeadList.objects.exists()


def test_create_refuses_an_owner_of_another_tenant(api, charlie, leads):
    lead_filter = {"all": [{"field": "owner", "op": "eq", "value": charlie.pk}]}
    response = api.post("/api/v1/lead-lists/", {"name": "x", "filter": lead_filter}, format="json")
    assert response.status_code == 400
    assert f"User id {charlie.pk} is not a user of your company" in response.json()["filter"][0]


def test_create_needs_a_name_and_a_filter(api, leads):
    response = api.post("/api/v1/lead-lists/", {"name": "  "}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "filter"}


def test_retrieve_counts_now_and_reports_a_filter_that_became_invalid(api, tenant_a, it_list):
    assert api.get(f"/api/v1/lead-lists/{it_list.pk}/").json()["count"] == 2
    factories.make_lead(tenant_a, industry="IT")
    assert api.get(f"/api/v1/lead-lists/{it_list.pk}/").json()["count"] == 3
    ghost = factories.make_user(tenant_a)
    broken = factories.make_lead_list(tenant_a, filter={"all": [{"field": "owner", "op": "eq", "value": ghost.pk}]})
    ghost_id = ghost.pk
    ghost.delete()
    body = api.get(f"/api/v1/lead-lists/{broken.pk}/").json()
    assert body["count"] is None
    assert f"User id {ghost_id} is not a user of your company" in body["filter_error"]
    leads = api.get(f"/api/v1/lead-lists/{broken.pk}/leads/")
    assert leads.status_code == 400
    assert leads.json()["code"] == "invalid_filter"
    assert f"User id {ghost_id}" in leads.json()["detail"]


def test_patch_renames_and_changes_the_filter(api, it_list):
    response = api.patch(f"/api/v1/lead-lists/{it_list.pk}/", {"name": "金融"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "金融"
    new_filter = {"all": [{"field": "industry", "op": "eq", "value": "金融"}]}
    response = api.patch(f"/api/v1/lead-lists/{it_list.pk}/", {"filter": new_filter}, format="json")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    it_list.refresh_from_db()
    assert (it_list.name, it_list.filter) == ("金融", new_filter)


def test_patch_with_a_bad_filter_is_400_and_changes_nothing(api, it_list):
    bad = {"all": [{"field": "employees", "op": "between", "value": [1000, 50]}]}
    response = api.patch(f"/api/v1/lead-lists/{it_list.pk}/", {"name": "新", "filter": bad}, format="json")
    assert response.status_code == 400
    assert "must not be greater than the second" in response.json()["filter"][0]
    it_list.refresh_from_db()
    assert (it_list.name, it_list.filter) == ("IT・製造", IT_FILTER)


def test_put_is_not_offered(api, it_list):
    response = api.put(f"/api/v1/lead-lists/{it_list.pk}/", {"name": "x", "filter": IT_FILTER}, format="json")
    assert response.status_code == 405


def test_delete_removes_the_list_and_keeps_the_leads(api, it_list):
    assert api.delete(f"/api/v1/lead-lists/{it_list.pk}/").status_code == 204
    assert not LeadList.objects.exists()
    assert Lead.objects.count() == 4


def test_leads_of_a_list_are_paginated_with_tags_and_unsubscribed(api, it_list):
    response = api.get(f"/api/v1/lead-lists/{it_list.pk}/leads/", {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is not None
    second = api.get(body["next"]).json()
    by_company = {lead["company_name"]: lead for lead in body["results"] + second["results"]}
    assert set(by_company) == {"青空システム", "富士工業"}
    assert by_company["青空システム"]["tags"] == ["展示会", "重要"]
    assert by_company["青空システム"]["unsubscribed"] is False
    assert by_company["富士工業"]["unsubscribed"] is True


def test_leads_of_a_list_take_few_queries(api, tenant_a, it_list, django_assert_max_num_queries):
    for number in range(20):
        factories.make_lead(tenant_a, industry="IT", tags=[f"タグ{number}"])
    with django_assert_max_num_queries(8):
        assert api.get(f"/api/v1/lead-lists/{it_list.pk}/leads/").json()["count"] == 22


def test_preview_counts_without_saving(api, leads):
    response = api.post("/api/v1/lead-lists/preview/", {"filter": IT_FILTER}, format="json")
    assert response.status_code == 200
    assert response.json() == {"count": 2}
    unsubscribed = {"all": [{"field": "unsubscribed", "op": "is", "value": True}]}
    assert api.post("/api/v1/lead-lists/preview/", {"filter": unsubscribed}, format="json").json() == {"count": 1}
    assert not LeadList.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"filter": {"all": [{"field": "tags", "op": "between", "value": [1, 2]}]}}, 'The op "between" cannot be used'),
        ({"filter": {"all": [{"field": "status", "op": "eq", "value": "open"}]}}, 'Unknown status "open"'),
        ({"filter": None}, "must be a JSON object"),
        ({}, 'Send the filter to count as {"filter"'),
        ([1, 2], 'Send the filter to count as {"filter"'),
    ],
)
def test_preview_of_a_bad_filter_is_400_invalid_filter(api, leads, body, message):
    response = api.post("/api/v1/lead-lists/preview/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"
    assert message in response.json()["detail"]


def test_another_tenant_gets_404_and_changes_nothing(charlie_api, it_list, tenant_b):
    before = LeadList.objects.values().get()
    base = f"/api/v1/lead-lists/{it_list.pk}/"
    assert charlie_api.get(base).status_code == 404
    assert charlie_api.get(base + "leads/").status_code == 404
    assert charlie_api.patch(base, {"name": "乗っ取り"}, format="json").status_code == 404
    assert charlie_api.delete(base).status_code == 404
    assert charlie_api.get("/api/v1/lead-lists/").json()["count"] == 0
    assert LeadList.objects.values().get() == before
    # a preview in tenant B counts tenant B's leads only
    assert charlie_api.post("/api/v1/lead-lists/preview/", {"filter": IT_FILTER}, format="json").json() == {"count": 1}


def test_signed_out_requests_are_refused(it_list):
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.get("/api/v1/lead-lists/").status_code in (401, 403)
    assert client.post("/api/v1/lead-lists/preview/", {"filter": IT_FILTER}, format="json").status_code in (401, 403)


def test_schema_describes_the_lead_list_routes(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    paths = schema["paths"]
    assert set(paths["/api/v1/lead-lists/"]) >= {"get", "post"}
    assert set(paths["/api/v1/lead-lists/{id}/"]) >= {"get", "patch", "delete"}
    assert "put" not in paths["/api/v1/lead-lists/{id}/"]
    assert "get" in paths["/api/v1/lead-lists/{id}/leads/"]
    assert "post" in paths["/api/v1/lead-lists/preview/"]
    leads_schema = paths["/api/v1/lead-lists/{id}/leads/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert leads_schema["schema"]["$ref"].endswith("PaginatedLeadList")
    preview = paths["/api/v1/lead-lists/preview/"]["post"]
    assert preview["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "LeadListPreviewResult"
    )
    assert "400" in preview["responses"]
