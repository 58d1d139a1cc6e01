"""Lead index, detail, create, edit, delete (L1) in the UI and the API."""

from leads.models import Lead, LeadStatus, Suppression
from tests import factories


def test_index_searches_name_company_and_email(bob_client, tenant_a):
    factories.make_lead(tenant_a, company_name="青空商事", email="a@aozora.jp")
    factories.make_lead(tenant_a, company_name="富士工業", last_name="佐藤", email="b@fuji.jp")
    body = bob_client.get("/leads/", {"q": "佐藤"}).content.decode()
    assert "富士工業" in body and "青空商事" not in body
    body = bob_client.get("/leads/", {"q": "aozora"}).content.decode()
    assert "青空商事" in body and "富士工業" not in body


def test_index_paginates_and_sorts(bob_client, tenant_a):
    for number in range(55):
        factories.make_lead(tenant_a, company_name=f"会社{number:02d}")
    first = bob_client.get("/leads/", {"sort": "company"}).content.decode()
    assert "会社00" in first and "会社54" not in first
    second = bob_client.get("/leads/", {"sort": "company", "page": 2}).content.decode()
    assert "会社54" in second


def test_create_lead_with_tags_and_owner(bob_client, tenant_a, bob):
    response = bob_client.post(
        "/leads/new/",
        {
            "company_name": "株式会社新規",
            "last_name": "鈴木",
            "first_name": "一郎",
            "email": "Ichiro.Suzuki＠Shinki.co.jp",
            "status": "new",
            "owner": bob.pk,
            "tags_text": "展示会; 重要",
            "employees": "120",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(company_name="株式会社新規")
    assert lead.email_normalized == "ichiro.suzuki@shinki.co.jp"
    assert lead.owner == bob
    assert sorted(tag.name for tag in lead.tags.all()) == ["展示会", "重要"]
    detail = bob_client.get(response["Location"]).content.decode()
    assert "鈴木" in detail and "展示会" in detail


def test_create_lead_errors_are_shown_next_to_the_field(bob_client):
    response = bob_client.post("/leads/new/", {"email": "not an address", "status": "new", "employees": "many"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "有効なメールアドレスを入力してください" in body
    assert "整数を入力してください" in body
    assert not Lead.objects.exists()


def test_owner_of_another_tenant_is_refused(bob_client, charlie):
    response = bob_client.post("/leads/new/", {"email": "x@y.jp", "status": "new", "owner": charlie.pk})
    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_edit_and_delete(bob_client, tenant_a):
    lead = factories.make_lead(tenant_a, company_name="旧社名")
    bob_client.post(
        f"/leads/{lead.pk}/edit/", {"company_name": "新社名", "email": lead.email, "status": LeadStatus.WON}
    )
    lead.refresh_from_db()
    assert lead.company_name == "新社名"
    assert lead.status == LeadStatus.WON
    assert bob_client.get(f"/leads/{lead.pk}/delete/").status_code == 405
    bob_client.post(f"/leads/{lead.pk}/delete/")
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_detail_escapes_hostile_values_and_shows_unsubscribed(bob_client, tenant_a):
    lead = factories.make_lead(tenant_a, company_name="<script>alert(1)</script>", email="x@evil.jp")
    Suppression.objects.create(tenant=tenant_a, email_normalized="x@evil.jp", reason="unsubscribed")
    body = bob_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "配信停止" in body


def test_history_shows_creation_and_unsubscribe_newest_first(bob_client, tenant_a):
    lead = factories.make_lead(tenant_a, email="h@history.jp")
    Suppression.objects.create(tenant=tenant_a, email_normalized="h@history.jp", reason="unsubscribed")
    body = bob_client.get(f"/leads/{lead.pk}/").content.decode()
    history = body[body.index("ヒストリー") :]
    assert history.index("配信停止") < history.index("リード作成")


def test_api_lists_searches_and_paginates(bob_api, tenant_a, tenant_b):
    for number in range(3):
        factories.make_lead(tenant_a, company_name=f"API会社{number}")
    factories.make_lead(tenant_b, company_name="他社")
    response = bob_api.get("/api/v1/leads/", {"page_size": 2})
    data = response.json()
    assert data["count"] == 3 and len(data["results"]) == 2 and data["next"]
    names = [row["company_name"] for row in bob_api.get("/api/v1/leads/", {"search": "API会社1"}).json()["results"]]
    assert names == ["API会社1"]


def test_api_page_size_is_capped_at_500(bob_api, tenant_a):
    factories.make_lead(tenant_a)
    response = bob_api.get("/api/v1/leads/", {"page_size": 100000})
    assert response.status_code == 200


def test_api_create_patch_delete(bob_api, bob):
    response = bob_api.post(
        "/api/v1/leads/",
        {"email": "api@lead.jp", "company_name": "API株式会社", "tags": ["a", "b"], "owner": bob.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    lead_id = response.json()["id"]
    assert response.json()["tags"] == ["a", "b"]
    response = bob_api.patch(f"/api/v1/leads/{lead_id}/", {"employees": 42, "tags": ["c"]}, format="json")
    assert response.json()["employees"] == 42
    assert response.json()["tags"] == ["c"]
    assert bob_api.put(f"/api/v1/leads/{lead_id}/", {}, format="json").status_code == 405
    assert bob_api.delete(f"/api/v1/leads/{lead_id}/").status_code == 204


def test_api_errors_name_the_field(bob_api, charlie):
    response = bob_api.post("/api/v1/leads/", {"email": "bad", "employees": "x", "owner": charlie.pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"email", "employees", "owner"}


def test_api_events_timeline(bob_api, tenant_a):
    lead = factories.make_lead(tenant_a)
    events = bob_api.get(f"/api/v1/leads/{lead.pk}/events/").json()["results"]  # paginated like every list
    assert [event["kind"] for event in events] == ["created"]


def test_api_without_token_is_401_json(db):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/leads/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_api_unknown_lead_is_404_json(bob_api):
    response = bob_api.get("/api/v1/leads/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_field_filters_and_bad_owner_value(bob_api, tenant_a, bob):
    factories.make_lead(tenant_a, industry="IT", owner=bob)
    factories.make_lead(tenant_a, industry="製造")
    assert bob_api.get("/api/v1/leads/", {"industry": "IT"}).json()["count"] == 1
    assert bob_api.get("/api/v1/leads/", {"owner": bob.pk}).json()["count"] == 1
    assert bob_api.get("/api/v1/leads/", {"owner": ""}).json()["count"] == 1
    response = bob_api.get("/api/v1/leads/", {"owner": "abc"})
    assert response.status_code == 400
    assert "owner" in response.json()
