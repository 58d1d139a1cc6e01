"""Notifications of opens and clicks for the campaign's owner (N1): who, what, when, once, and to whom."""

import pytest
from django.test import Client

from campaigns.models import Campaign
from notifications.models import Notification
from tests import factories
from tests.campaign_world import TWO_LINK_BODY, make_campaign, make_ready_to_send, send_in_process, token_of

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
YAMADA = "yamada@aozora.example"


@pytest.fixture
def notifying_campaign(sent_campaign):
    """sent_campaign (Bob's) asks for both kinds of notification."""
    Campaign.objects.filter(pk=sent_campaign.pk).update(notify_open=True, notify_click=True)
    return sent_campaign


def recipient_visits(campaign, *paths, agent=BROWSER) -> None:
    token = token_of(campaign, YAMADA)
    visitor = Client()
    for path in paths:
        visitor.get(path.format(token=token), HTTP_USER_AGENT=agent)


def test_an_open_and_a_click_notify_the_owner_once_each(notifying_campaign, bob):
    recipient_visits(notifying_campaign, "/t/o/{token}.gif", "/t/o/{token}.gif", "/t/c/{token}/1/", "/t/c/{token}/1/")

    notifications = Notification.objects.order_by("kind")
    assert [(n.kind, n.recipient_id, n.url) for n in notifications] == [
        ("clicked", bob.pk, "https://alpha.example/product"),
        ("opened", bob.pk, ""),
    ]
    assert {n.lead.email for n in notifications} == {YAMADA}
    assert all(n.read_at is None and n.tenant_id == bob.tenant_id for n in notifications)


def test_only_the_kinds_the_campaign_asked_for(sent_campaign):
    Campaign.objects.filter(pk=sent_campaign.pk).update(notify_open=False, notify_click=True)
    recipient_visits(sent_campaign, "/t/o/{token}.gif")
    assert not Notification.objects.exists()
    recipient_visits(sent_campaign, "/t/c/{token}/2/")
    assert list(Notification.objects.values_list("kind", flat=True)) == ["clicked"]


def test_machine_opens_and_clicks_notify_nobody(notifying_campaign):
    recipient_visits(notifying_campaign, "/t/o/{token}.gif", agent="Mozilla/5.0")  # a privacy proxy
    recipient_visits(notifying_campaign, "/t/c/{token}/1/", agent="Barracuda Sentinel (EE)")  # a scanner
    recipient_visits(notifying_campaign, "/t/c/{token}/0/")  # the honeypot
    assert not Notification.objects.exists()


def test_the_badge_list_and_marking_read(notifying_campaign, bob_client, mary_client):
    recipient_visits(notifying_campaign, "/t/o/{token}.gif", "/t/c/{token}/2/")

    badge = bob_client.get("/notifications/badge/")
    assert 'data-unread="2"' in badge.content.decode()
    menu = bob_client.get("/notifications/menu/").content.decode()
    assert "山田" in menu and "青空システム" in menu and "秋の新製品案内" in menu
    assert "https://alpha.example/seminar?id=7&amp;ref=mail" in menu
    # someone else of the same company sees none of Bob's
    assert "data-unread" not in mary_client.get("/notifications/badge/").content.decode()

    opened = Notification.objects.get(kind="opened")
    response = bob_client.post(f"/notifications/{opened.pk}/read/")
    assert response.status_code == 302 and response["Location"] == f"/leads/{opened.lead_id}/"
    assert 'data-unread="1"' in bob_client.get("/notifications/badge/").content.decode()
    assert mary_client.post(f"/notifications/{opened.pk}/read/").status_code == 404

    bob_client.post("/notifications/read-all/")
    assert "data-unread" not in bob_client.get("/notifications/badge/").content.decode()
    assert bob_client.get("/notifications/").status_code == 200


def test_every_page_carries_the_envelope(bob_client):
    html = bob_client.get("/leads/").content.decode()
    assert 'id="notification-menu"' in html and 'hx-get="/notifications/badge/"' in html


def test_the_api_lists_and_marks_read(notifying_campaign, bob_api, charlie_api):
    recipient_visits(notifying_campaign, "/t/o/{token}.gif", "/t/c/{token}/1/")

    listed = bob_api.get("/api/v1/notifications/").json()
    assert listed["count"] == 2
    clicked = next(n for n in listed["results"] if n["kind"] == "clicked")
    assert clicked["url"] == "https://alpha.example/product"
    assert clicked["lead_name"] == "山田 太郎" and clicked["company_name"] == "青空システム"
    assert clicked["campaign_name"] == "秋の新製品案内" and clicked["read"] is False

    assert charlie_api.get("/api/v1/notifications/").json()["count"] == 0
    assert charlie_api.post(f"/api/v1/notifications/{clicked['id']}/read/").status_code == 404
    assert bob_api.post(f"/api/v1/notifications/{clicked['id']}/read/").json()["read"] is True
    assert bob_api.get("/api/v1/notifications/?unread=true").json()["count"] == 1
    assert bob_api.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}


def test_another_tenants_campaign_notifies_its_own_owner_only(notifying_campaign, tenant_b, charlie, bob):
    make_ready_to_send(tenant_b)
    factories.make_lead(tenant_b, email=YAMADA, industry="IT", last_name="山田")
    their_list = factories.make_lead_list(tenant_b, filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]})
    theirs = make_campaign(tenant_b, charlie, lead_list=their_list, body_html=TWO_LINK_BODY, notify_open=True)
    theirs = send_in_process(theirs)

    recipient_visits(theirs, "/t/o/{token}.gif")

    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.tenant_id) == (charlie.pk, tenant_b.pk)
