"""The composer (C1–C12), confirm screen (C13) and test send (C14) through the screens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus
from tests import factories
from tests.campaign_world import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(bob_client, mary_client, charlie_client):
    for client in (bob_client, mary_client, charlie_client):
        client.cookies["django_language"] = "en"


BODY = "<p>{{CompanyName}}</p><p>{{FullName|ご担当者}} 様</p><p>{{Unsubscribe:メールの配信停止はこちら}}</p>"


def composer_data(ready_list, **overrides) -> dict:
    data = {
        "name": "秋の新製品案内",
        "template": "",
        "subject": "{{CompanyName}}様へのご案内",
        "body_html": BODY,
        "lead_list": ready_list.pk,
        "from_name": "アルファ営業部",
        "from_email": "sales@alpha.example",
        "reply_to": "reply@alpha.example",
        "delivery": "now",
        "scheduled_at": "",
        "action": "save_draft",
    }
    data.update(overrides)
    return data


def test_a_new_campaign_starts_with_the_default_body_and_the_live_count(bob_client, ready_list):
    page = bob_client.get("/campaigns/new/").content.decode()
    assert "{{CompanyName}}" in page and "{{FullName}}" in page and "{{Unsubscribe:メールの配信停止はこちら}}" in page
    count = bob_client.get(f"/campaigns/recipient-count/?lead_list={ready_list.pk}").content.decode()
    assert 'id="recipient-total">2<' in count


def test_save_draft_then_reopen_keeps_every_field(bob_client, ready_list):
    response = bob_client.post("/campaigns/new/", composer_data(ready_list, notify_click="on"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.pk}/edit/"
    assert campaign.status == CampaignStatus.DRAFT and campaign.notify_click and not campaign.notify_open
    page = bob_client.get(response.url).content.decode()
    assert "秋の新製品案内" in page and "sales@alpha.example" in page


def test_a_draft_may_be_incomplete(bob_client, ready_list):
    response = bob_client.post("/campaigns/new/", {"name": "メモだけ", "delivery": "now", "action": "save_draft"})
    assert response.status_code == 302
    assert Campaign.objects.get().subject == ""


def test_review_with_problems_saves_the_draft_and_shows_each_error_by_its_field(bob_client, ready_list):
    data = composer_data(
        ready_list,
        subject="{{Company}}様",
        body_html="<p>本文</p>",
        action="confirm",
        from_email="sales@elsewhere.example",
    )
    response = bob_client.post("/campaigns/new/", data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "{{Company}}" in page
    assert "unsubscribe tag" in page
    assert "elsewhere.example is not on a registered sender domain" in page
    assert Campaign.objects.get().subject == "{{Company}}様"


def test_a_schedule_within_30_minutes_is_refused_by_the_server(bob_client, ready_list):
    soon = timezone.localtime(timezone.now() + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    data = composer_data(ready_list, delivery="scheduled", scheduled_at=soon, action="confirm")
    response = bob_client.post("/campaigns/new/", data)
    assert response.status_code == 422
    assert "at least 30 minutes from now" in response.content.decode()


def test_review_then_send_queues_without_claiming_mail_went_out(bob_client, ready_list):
    response = bob_client.post("/campaigns/new/", composer_data(ready_list, action="confirm"))
    campaign = Campaign.objects.get()
    assert response.url == f"/campaigns/{campaign.pk}/confirm/"
    page = bob_client.get(response.url).content.decode()
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert "allow-scripts" not in page
    assert "様へのご案内" in page and ("富士工業様へのご案内" in page or "青空システム様へのご案内" in page)

    response = bob_client.post(f"/campaigns/{campaign.pk}/confirm/", {"action": "send"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.QUEUED
    assert "No mail has gone out yet" in response.content.decode()


def test_review_then_schedule(bob_client, draft):
    when = timezone.localtime(timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = bob_client.post(
        f"/campaigns/{draft.pk}/confirm/", {"action": "schedule", "scheduled_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.SCHEDULED and draft.scheduled_at == when
    page = bob_client.get(f"/campaigns/{draft.pk}/").content.decode()
    assert when.strftime("%Y/%m/%d %H:%M") in page  # shown in Asia/Tokyo

    bob_client.post(f"/campaigns/{draft.pk}/cancel/")
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_missing_legal_info_refuses_sending_with_a_link_to_the_settings(bob_client, draft, tenant_a):
    tenant_a.legal_contact = ""
    tenant_a.save()
    page = bob_client.get(f"/campaigns/{draft.pk}/confirm/").content.decode()
    assert "legal sender information is missing" in page and 'href="/settings/mail/"' in page
    bob_client.post(f"/campaigns/{draft.pk}/confirm/", {"action": "send"})
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_test_send_from_the_composer_arrives_with_the_merge_tags_filled(bob_client, ready_list, mail_catcher):
    data = composer_data(
        ready_list,
        action="test_send",
        **{"test-email": "me@alpha.example", "test-company_name": "テスト商事", "test-contact_name": "山田　太郎"},
    )
    response = bob_client.post("/campaigns/new/", data)
    assert response.status_code == 302
    [mail] = mail_catcher.wait_for(1)
    assert mail.subject == "[Test] テスト商事様へのご案内"
    assert mail.to == "me@alpha.example"
    assert "テスト商事" in mail.text and "山田 太郎 様" in mail.text
    assert "山田 太郎 様" in mail.html
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


def test_test_send_needs_a_valid_address_and_keeps_the_dialog_open(bob_client, ready_list, mail_catcher):
    response = bob_client.post("/campaigns/new/", composer_data(ready_list, action="test_send", **{"test-email": "x"}))
    assert response.status_code == 422
    assert "data-open-on-load" in response.content.decode()
    assert mail_catcher.count() == 0


def test_a_mail_server_that_does_not_answer_is_reported_not_a_500(bob_client, draft, settings):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens on 9
    data = {"action": "test_send", "test-email": "me@alpha.example", **campaign_fields_of(draft)}
    response = bob_client.post(f"/campaigns/{draft.pk}/edit/", data)
    assert response.status_code == 422
    assert "The test mail could not be sent" in response.content.decode()
    response = bob_client.post(f"/campaigns/{draft.pk}/test-send/", {"test-email": "me@alpha.example"}, follow=True)
    assert "The test mail could not be sent" in response.content.decode()


def campaign_fields_of(campaign) -> dict:
    return {
        "name": campaign.name,
        "subject": campaign.subject,
        "body_html": campaign.body_html,
        "lead_list": campaign.lead_list_id,
        "from_name": campaign.from_name,
        "from_email": campaign.from_email,
        "reply_to": campaign.reply_to,
        "delivery": "now",
    }


def test_test_send_from_the_confirm_screen(bob_client, draft, mail_catcher):
    response = bob_client.post(
        f"/campaigns/{draft.pk}/test-send/",
        {"test-email": "check@alpha.example", "test-company_name": "確認株式会社", "test-contact_name": "佐藤"},
    )
    assert response.url == f"/campaigns/{draft.pk}/confirm/"
    [mail] = mail_catcher.wait_for(1)
    assert "確認株式会社" in mail.subject and "佐藤 様" in mail.text
    headers = dict(mail.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Reply-To"] == "reply@alpha.example"


def test_the_index_lists_every_state_and_filters_by_status(bob_client, tenant_a, bob, ready_list):
    for name, status in (("下書き", "draft"), ("予約", "scheduled"), ("送信待ち", "queued"), ("送信済み", "sent")):
        campaign = make_campaign(tenant_a, bob, lead_list=ready_list, name=name)
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
    page = bob_client.get("/campaigns/").content.decode()
    assert all(name in page for name in ("下書き", "予約", "送信待ち", "送信済み"))
    page = bob_client.get("/campaigns/?status=sent").content.decode()
    assert "送信済み" in page and "下書き</a>" not in page


def test_reps_edit_only_their_own_and_managers_view_all(bob_client, mary_client, tenant_a, bob, ready_list):
    colleague = factories.make_user(tenant_a, email="rep2@alpha.example")
    theirs = make_campaign(tenant_a, colleague, lead_list=ready_list, name="同僚の案内")
    assert bob_client.get(f"/campaigns/{theirs.pk}/edit/").status_code == 404
    assert bob_client.post(f"/campaigns/{theirs.pk}/delete/").status_code == 404
    assert "同僚の案内" not in bob_client.get("/campaigns/").content.decode()
    assert mary_client.get(f"/campaigns/{theirs.pk}/").status_code == 200
    assert mary_client.get(f"/campaigns/{theirs.pk}/confirm/").status_code == 200
    assert mary_client.get(f"/campaigns/{theirs.pk}/edit/").status_code == 403
    assert mary_client.post(f"/campaigns/{theirs.pk}/confirm/", {"action": "send"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == CampaignStatus.DRAFT


def test_another_tenants_list_is_not_accepted_or_counted(bob_client, charlie_client, ready_list, tenant_b):
    foreign = factories.make_lead_list(tenant_b, name="ベータのリスト")
    response = bob_client.post("/campaigns/new/", composer_data(ready_list, lead_list=foreign.pk))
    assert response.status_code == 422 and not Campaign.objects.exists()
    assert bob_client.get(f"/campaigns/recipient-count/?lead_list={foreign.pk}").status_code == 404
    assert charlie_client.get(f"/campaigns/recipient-count/?lead_list={ready_list.pk}").status_code == 404


def test_without_the_mail_plan_the_composer_is_a_403_page(db):
    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    from django.test import Client

    client = Client()
    client.force_login(factories.make_user(tenant))
    assert client.get("/campaigns/").status_code == 403
    assert client.get("/campaigns/new/").status_code == 403


def test_the_test_mails_unsubscribe_link_changes_nothing(client):
    response = client.get("/u/test/")
    assert response.status_code == 200


def test_the_progress_block_reloads_the_page_when_the_state_changes(bob_client, draft):
    url = f"/campaigns/{draft.pk}/progress/"
    assert "HX-Refresh" not in bob_client.get(f"{url}?shown=draft", headers={"HX-Request": "true"})
    assert bob_client.get(f"{url}?shown=queued", headers={"HX-Request": "true"})["HX-Refresh"] == "true"
