"""/api/v1/campaigns/ per the contract: CRUD, preview, test-send, send, schedule, cancel; roles and tenants."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus
from tests import factories
from tests.campaign_world import make_campaign

pytestmark = pytest.mark.django_db


def test_create_saves_a_draft_as_given_with_the_body_cleaned(bob_api, ready_list):
    response = bob_api.post(
        "/api/v1/campaigns/",
        {
            "name": "API案内",
            "subject": "{{Unknown}}",
            "body_html": "<p>本文<script>x()</script></p>",
            "lead_list": ready_list.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["body_html"] == "<p>本文</p>" and body["subject"] == "{{Unknown}}"
    assert Campaign.objects.get(pk=body["id"]).owner.email == "bob@alpha.example"


def test_a_subject_with_a_newline_is_a_field_error(bob_api):
    response = bob_api.post("/api/v1/campaigns/", {"name": "x", "subject": "a\nBcc: x@evil.example"}, format="json")
    assert response.status_code == 400
    assert "subject" in response.json()


def test_another_tenants_list_is_not_found(bob_api, tenant_b):
    foreign = factories.make_lead_list(tenant_b, name="ベータのリスト")
    response = bob_api.post("/api/v1/campaigns/", {"name": "x", "lead_list": foreign.pk}, format="json")
    assert response.status_code == 404
    assert "lead_list" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_preview_renders_for_the_first_real_recipient_with_counts(bob_api, draft):
    response = bob_api.get(f"/api/v1/campaigns/{draft.pk}/preview/")
    assert response.status_code == 200
    body = response.json()
    assert body["recipients"] == 2 and body["leads"] == 2
    assert body["excluded"] == {"suppressed": 0, "info": 0, "invalid": 0, "duplicate": 0}
    assert body["recipient"]["company_name"] in body["mail"]["subject"]
    assert "メールの配信停止はこちら" in body["mail"]["html"]
    assert body["problems"] == {}


def test_send_queues_and_schedule_enforces_30_minutes(bob_api, draft, tenant_a, bob, ready_list):
    too_soon = (timezone.now() + timedelta(minutes=10)).isoformat()
    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/schedule/", {"scheduled_at": too_soon}, format="json")
    assert response.status_code == 400 and "scheduled_at" in response.json()

    later = (timezone.now() + timedelta(hours=2)).isoformat()
    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/schedule/", {"scheduled_at": later}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "scheduled"

    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "draft"

    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/send/")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert bob_api.patch(f"/api/v1/campaigns/{draft.pk}/", {"name": "変更"}, format="json").status_code == 400


def test_send_without_the_unsubscribe_tag_is_a_field_error(bob_api, draft):
    bob_api.patch(f"/api/v1/campaigns/{draft.pk}/", {"body_html": "<p>本文だけ</p>"}, format="json")
    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/send/")
    assert response.status_code == 400
    assert "body_html" in response.json()
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_missing_legal_info_is_a_non_field_error(bob_api, draft, tenant_a):
    tenant_a.legal_sender_name = ""
    tenant_a.save()
    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/send/")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_test_send_validates_the_address(bob_api, draft):
    response = bob_api.post(f"/api/v1/campaigns/{draft.pk}/test-send/", {"email": "nope"}, format="json")
    assert response.status_code == 400 and "email" in response.json()


def test_reps_see_their_own_managers_see_all_but_change_none(tenant_a, bob, mary, bob_api, ready_list):
    other_rep = factories.make_user(tenant_a, email="rep2@alpha.example")
    mine = make_campaign(tenant_a, bob, lead_list=ready_list, name="ボブの案内")
    theirs = make_campaign(tenant_a, other_rep, lead_list=ready_list, name="同僚の案内")
    assert [c["name"] for c in bob_api.get("/api/v1/campaigns/").json()["results"]] == ["ボブの案内"]
    assert bob_api.get(f"/api/v1/campaigns/{theirs.pk}/").status_code == 404
    assert bob_api.patch(f"/api/v1/campaigns/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404

    from tests.conftest import _api

    mary_api = _api(mary)
    assert {c["name"] for c in mary_api.get("/api/v1/campaigns/").json()["results"]} == {"ボブの案内", "同僚の案内"}
    assert mary_api.get(f"/api/v1/campaigns/{mine.pk}/").status_code == 200
    assert mary_api.patch(f"/api/v1/campaigns/{mine.pk}/", {"name": "x"}, format="json").status_code == 403
    assert mary_api.post(f"/api/v1/campaigns/{mine.pk}/send/").status_code == 403
    mine.refresh_from_db()
    assert mine.name == "ボブの案内" and mine.status == CampaignStatus.DRAFT


def test_another_tenant_gets_404_for_every_action(charlie_api, draft):
    for method, suffix in (
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("get", "preview/"),
        ("post", "send/"),
        ("post", "schedule/"),
        ("post", "cancel/"),
        ("post", "test-send/"),
    ):
        response = getattr(charlie_api, method)(f"/api/v1/campaigns/{draft.pk}/{suffix}", {}, format="json")
        assert response.status_code == 404, (method, suffix)
    assert charlie_api.get("/api/v1/campaigns/").json()["count"] == 0
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_without_the_mail_plan_the_campaign_api_is_403(db):
    from rest_framework.test import APIClient

    from tests.conftest import _api

    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    client: APIClient = _api(factories.make_user(tenant))
    response = client.get("/api/v1/campaigns/")
    assert response.status_code == 403 and response.json()["code"] == "mail_plan_required"
