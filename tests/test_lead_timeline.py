"""The lead's history (L4): each campaign's mail sent, delivered, opened, clicked (with the URL),
failed (with the reason) and unsubscribed, newest first, on the lead page and through the API.
Activity is made through the real tracking endpoints; machine opens and clicks are left out."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation

from campaigns.models import Message
from leads.models import Lead, Suppression
from leads.selectors import lead_timeline
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, send_in_process, token_of
from tracking.models import Event
from tracking.services import record_provider_event

HUMAN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"
SCANNER = "python-requests/2.31"
YAMADA, SATO = "yamada@aozora.example", "sato@fuji.example"
SEMINAR_URL = "https://alpha.example/seminar?id=7&ref=mail"


def lead_of(email: str) -> Lead:
    return Lead.objects.get(email_normalized=email)


@pytest.fixture
def campaign(sent_campaign):
    """The sent campaign, its leads created two days before it was sent."""
    Lead.objects.filter(tenant=sent_campaign.tenant).update(created_at=timezone.now() - timedelta(days=2))
    return sent_campaign


def kinds(entries) -> list[str]:
    return [entry.kind for entry in entries]


def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- The selector --------------------------------------------------------------------------------


def test_each_step_of_a_campaign_mail_newest_first(client, campaign):
    token = token_of(campaign, YAMADA)
    assert client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN).status_code == 200
    assert client.get(f"/t/c/{token}/2/", HTTP_USER_AGENT=HUMAN)["Location"] == SEMINAR_URL
    assert client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN).status_code == 200  # read again later
    assert client.post(f"/u/{token}/", {"List-Unsubscribe": "One-Click"}).status_code == 200

    entries = lead_timeline(lead_of(YAMADA))

    assert kinds(entries) == [
        "mail-unsubscribed",
        "mail-opened",
        "mail-clicked",
        "mail-opened",
        "mail-delivered",
        "mail-sent",
        "created",
    ]
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    mail_entries = entries[:-1]
    assert {(entry.campaign_id, entry.campaign_name) for entry in mail_entries} == {(campaign.pk, campaign.name)}
    assert entries[-1].campaign_id is None and entries[-1].campaign_name == ""
    [click] = [entry for entry in entries if entry.kind == "mail-clicked"]
    assert click.url == SEMINAR_URL == campaign.link_urls[1]
    assert [entry.url for entry in entries if entry.kind != "mail-clicked"] == [""] * 6
    message = Message.objects.get(campaign=campaign, email_normalized=YAMADA)
    assert entries[-2].at == message.sent_at and entries[-3].at == message.delivered_at
    # the unsubscribe is told once, with its campaign: the suppression it made is not repeated
    assert Suppression.objects.filter(email_normalized=YAMADA).exists()
    assert "unsubscribed" not in kinds(entries)


def test_labels_are_japanese_for_known_steps(campaign):
    with translation.override("ja"):
        entries = lead_timeline(lead_of(SATO))
    assert [entry.label for entry in entries if entry.kind in ("mail-sent", "created")] == ["メール送信", "リード作成"]


def test_the_other_lead_sees_only_its_own_activity(client, campaign):
    token = token_of(campaign, YAMADA)
    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)
    client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=HUMAN)
    assert kinds(lead_timeline(lead_of(SATO))) == ["mail-delivered", "mail-sent", "created"]


def test_machine_opens_and_clicks_are_not_shown_as_the_persons_activity(client, campaign):
    token = token_of(campaign, SATO)
    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=SCANNER)  # a security scanner
    client.get(f"/t/c/{token}/0/", HTTP_USER_AGENT=HUMAN)  # the hidden link no person sees
    client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=HUMAN)  # right after the hidden one: the same machine
    message = Message.objects.get(campaign=campaign, email_normalized=SATO)
    assert Event.objects.filter(message=message, machine=True).count() == 3
    assert message.machine_opened_at and message.machine_clicked_at and message.opened_at is None

    assert kinds(lead_timeline(lead_of(SATO))) == ["mail-delivered", "mail-sent", "created"]

    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)  # the person reads it after all
    assert kinds(lead_timeline(lead_of(SATO)))[0] == "mail-opened"


def test_a_bounce_after_sending_is_a_failure_with_the_providers_reason(campaign):
    message = Message.objects.get(campaign=campaign, email_normalized=SATO)
    record_provider_event(
        provider_message_id=message.provider_message_id,
        kind="bounced",
        event_id="x1",
        at=None,
        detail="550 no such user",
    )
    with translation.override("ja"):
        entries = lead_timeline(lead_of(SATO))
    assert kinds(entries) == ["unsubscribed", "mail-failed", "mail-delivered", "mail-sent", "created"]
    suppressed, bounce = entries[0], entries[1]
    assert suppressed.detail == "ハードバウンス" and suppressed.campaign_id is None  # suppressed by the bounce (L5)
    assert bounce.detail == "550 no such user" and bounce.label == "メール送信失敗"
    assert bounce.campaign_name == campaign.name


def test_a_rejection_without_a_reason_says_what_happened(campaign):
    message = Message.objects.get(campaign=campaign, email_normalized=YAMADA)
    record_provider_event(provider_message_id=message.provider_message_id, kind="rejected", event_id="r1", at=None)
    with translation.override("en"):
        [failure] = [entry for entry in lead_timeline(lead_of(YAMADA)) if entry.kind == "mail-failed"]
    assert failure.detail == "Rejected by the provider"


def test_a_send_failure_shows_the_servers_reason(tenant_a, bob, refusing_mail_server, settings):
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    make_ready_to_send(tenant_a)
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    lead = factories.make_lead(tenant_a, email="bounce@kaisha.example", industry="IT")
    it_list = factories.make_lead_list(tenant_a, filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]})
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=it_list, name="冬のセミナー"))

    [failure] = [entry for entry in lead_timeline(lead) if entry.kind == "mail-failed"]
    assert "550" in failure.detail and "No such user" in failure.detail
    assert failure.campaign_name == "冬のセミナー" and failure.campaign_id == campaign.pk
    assert "mail-sent" not in kinds(lead_timeline(lead)) and "mail-delivered" not in kinds(lead_timeline(lead))


def test_a_suppression_made_by_hand_stays_on_the_history(campaign):
    Suppression.objects.create(tenant=campaign.tenant, email_normalized=SATO, reason="manual")
    with translation.override("en"):
        entries = lead_timeline(lead_of(SATO))
    assert entries[0].kind == "unsubscribed" and entries[0].detail == "Added by hand"


def test_history_of_a_busy_reader_is_bounded_and_read_in_four_queries(
    client, campaign, django_assert_num_queries, settings
):
    token = token_of(campaign, YAMADA)
    for _ in range(6):
        client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)
    client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=HUMAN)
    lead = lead_of(YAMADA)
    with django_assert_num_queries(4):  # suppression, messages, their campaigns, their events
        entries = lead_timeline(lead)
    assert kinds(entries).count("mail-opened") == 6 and len(entries) == 10
    newest = lead_timeline(lead, limit=3)
    assert newest == entries[:3]


def test_campaigns_are_told_apart(client, campaign, bob):
    second = send_in_process(make_campaign(campaign.tenant, bob, lead_list=campaign.lead_list, name="冬のご案内"))
    client.get(f"/t/o/{token_of(second, YAMADA)}.gif", HTTP_USER_AGENT=HUMAN)
    client.get(f"/t/o/{token_of(campaign, YAMADA)}.gif", HTTP_USER_AGENT=HUMAN)
    entries = lead_timeline(lead_of(YAMADA))
    assert [(entry.kind, entry.campaign_name) for entry in entries[:2]] == [
        ("mail-opened", campaign.name),
        ("mail-opened", "冬のご案内"),
    ]
    assert {entry.campaign_id for entry in entries if entry.kind == "mail-sent"} == {campaign.pk, second.pk}


# --- The lead page ---------------------------------------------------------------------------------


def test_lead_page_shows_the_history_with_the_clicked_url(client, bob_client, campaign):
    token = token_of(campaign, YAMADA)
    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)
    client.get(f"/t/c/{token}/2/", HTTP_USER_AGENT=HUMAN)
    body = english(bob_client).get(f"/leads/{lead_of(YAMADA).pk}/").content.decode()
    history = body[body.index("History") :]
    order = [history.index(label) for label in ("URL clicked", "Opened", "Mail delivered", "Mail sent", "Lead created")]
    assert order == sorted(order)
    assert campaign.name in history
    assert (
        '<a href="https://alpha.example/seminar?id=7&amp;ref=mail" rel="noopener noreferrer nofollow" '
        'target="_blank">https://alpha.example/seminar?id=7&amp;ref=mail</a>'
    ) in history


def test_lead_page_in_japanese_shows_a_send_failure_with_its_reason(bob_client, campaign):
    message = Message.objects.get(campaign=campaign, email_normalized=SATO)
    record_provider_event(
        provider_message_id=message.provider_message_id, kind="bounced", event_id="b1", at=None, detail="550 5.1.1"
    )
    body = bob_client.get(f"/leads/{lead_of(SATO).pk}/").content.decode()
    history = body[body.index("ヒストリー") :]
    assert history.index("メール送信失敗") < history.index("550 5.1.1") < history.index("リード作成")


def test_lead_page_of_another_tenant_is_404(charlie_client, campaign):
    assert charlie_client.get(f"/leads/{lead_of(YAMADA).pk}/").status_code == 404


# --- The API -----------------------------------------------------------------------------------------


def test_api_returns_the_timeline_newest_first_paginated(client, bob_api, campaign):
    token = token_of(campaign, YAMADA)
    client.get(f"/t/c/{token}/2/", HTTP_USER_AGENT=HUMAN)
    response = bob_api.get(f"/api/v1/leads/{lead_of(YAMADA).pk}/events/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    click, delivered, sent, created = body["results"]
    assert click == {
        "at": click["at"],
        "kind": "mail-clicked",
        "label": click["label"],
        "detail": "",
        "url": SEMINAR_URL,
        "campaign": {"id": campaign.pk, "name": campaign.name},
    }
    assert [delivered["kind"], sent["kind"], created["kind"]] == ["mail-delivered", "mail-sent", "created"]
    assert created["campaign"] is None and created["url"] is None
    assert click["at"] > delivered["at"] >= sent["at"] > created["at"]  # ISO 8601; SMTP delivers on acceptance


def test_api_pages_follow_drf(client, bob_api, campaign):
    token = token_of(campaign, YAMADA)
    for _ in range(3):
        client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)
    first = bob_api.get(f"/api/v1/leads/{lead_of(YAMADA).pk}/events/?page_size=2").json()
    assert first["count"] == 6 and len(first["results"]) == 2 and first["next"]
    second = bob_api.get(first["next"]).json()
    assert [entry["kind"] for entry in second["results"]] == ["mail-opened", "mail-delivered"]


def test_api_timeline_of_another_tenants_lead_is_404(charlie_api, bob_api, campaign):
    lead = lead_of(YAMADA)
    response = charlie_api.get(f"/api/v1/leads/{lead.pk}/events/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert bob_api.get("/api/v1/leads/999999999/events/").status_code == 404
    assert bob_api.get("/api/v1/leads/abc/events/").status_code == 404


def test_api_timeline_needs_a_token(campaign):
    from rest_framework.test import APIClient

    assert APIClient().get(f"/api/v1/leads/{lead_of(YAMADA).pk}/events/").status_code == 401
