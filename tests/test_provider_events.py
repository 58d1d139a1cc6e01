"""Provider events (K4) through django-anymail: its tracking signal and its real, authenticated webhooks."""

import base64
import json
from datetime import UTC, datetime

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.db.models import Sum

from campaigns.models import Message
from leads.models import Suppression, SuppressionReason
from tracking.models import CampaignActivity, Event

pytestmark = pytest.mark.django_db

YAMADA = "yamada@aozora.example"
SECRET = "okuru:webhook-secret-for-tests"


@pytest.fixture
def provider_campaign(sent_campaign):
    """As if sent through a provider: ids of its own, delivery reported later by webhook."""
    sent_campaign.delivered_on_acceptance = False
    sent_campaign.save(update_fields=["delivered_on_acceptance"])
    for message in Message.objects.filter(campaign=sent_campaign):
        message.provider_message_id = "pm-0" if message.email_normalized == YAMADA else "pm-1"
        message.delivered_at = None
        message.save(update_fields=["provider_message_id", "delivered_at"])
    return sent_campaign


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def yamada(campaign) -> Message:
    return Message.objects.get(campaign=campaign, email_normalized=YAMADA)


def total(campaign, counter: str) -> int:
    return CampaignActivity.objects.filter(campaign=campaign).aggregate(n=Sum(counter))["n"] or 0


def send_signal(event_type: str, message_id: str, event_id: str = "", **fields) -> None:
    event = AnymailTrackingEvent(
        event_type=event_type,
        message_id=message_id,
        event_id=event_id or None,
        timestamp=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
        recipient=YAMADA,
        **fields,
    )
    tracking.send(sender=object, event=event, esp_name="TestESP")


def test_delivered_sets_the_time_and_counts_once(provider_campaign):
    send_signal("delivered", "pm-0", "e1")
    send_signal("delivered", "pm-0", "e2")

    assert yamada(provider_campaign).delivered_at == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert total(provider_campaign, "delivered") == 1
    assert Event.objects.filter(kind="delivered").count() == 2


def test_a_hard_bounce_suppresses_with_the_providers_reason(provider_campaign, tenant_a):
    send_signal("bounced", "pm-0", "b1", description="550 5.1.1 user unknown")

    suppression = Suppression.objects.get(tenant=tenant_a)
    assert (suppression.email_normalized, suppression.reason) == (YAMADA, SuppressionReason.HARD_BOUNCE)
    assert yamada(provider_campaign).bounced_at is not None
    assert Event.objects.get().detail == "550 5.1.1 user unknown"
    assert total(provider_campaign, "bounced") == 1


def test_a_complaint_suppresses(provider_campaign, tenant_a):
    send_signal("complained", "pm-0", "c1")
    assert Suppression.objects.get(tenant=tenant_a).reason == SuppressionReason.COMPLAINT
    assert total(provider_campaign, "complained") == 1


def test_rejected_and_deferred_are_recorded_without_suppressing(provider_campaign, tenant_a):
    send_signal("deferred", "pm-0", "d1", mta_response="451 try later")
    send_signal("rejected", "pm-0", "r1", reject_reason="blocked")

    assert not Suppression.objects.filter(tenant=tenant_a).exists()
    assert sorted(Event.objects.values_list("kind", flat=True)) == ["deferred", "rejected"]
    assert yamada(provider_campaign).bounced_at is not None  # a rejection after handover is a failure
    assert total(provider_campaign, "bounced") == 1


def test_the_same_event_twice_is_recorded_once(provider_campaign, tenant_a):
    send_signal("bounced", "pm-0", "same")
    send_signal("bounced", "pm-0", "same")
    assert Event.objects.count() == 1
    assert total(provider_campaign, "bounced") == 1


def test_unknown_message_ids_and_event_types_change_nothing(provider_campaign, tenant_a):
    send_signal("bounced", "nobody", "x1")
    send_signal("opened", "pm-0", "x2")  # opens and clicks come from our own links
    send_signal("delivered", "", "x3")
    assert not Event.objects.exists()
    assert not Suppression.objects.exists()


# The real webhook views of anymail, with basic auth


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark_delivery(message_id: str) -> str:
    return json.dumps(
        {
            "RecordType": "Delivery",
            "MessageID": message_id,
            "Recipient": YAMADA,
            "DeliveredAt": "2026-11-27T03:00:00Z",
            "Details": "Test delivery",
            "Tag": "",
            "ServerID": 1,
            "Metadata": {},
        }
    )


def postmark_bounce(message_id: str, bounce_id: int) -> str:
    return json.dumps(
        {
            "RecordType": "Bounce",
            "ID": bounce_id,
            "Type": "HardBounce",
            "TypeCode": 1,
            "MessageID": message_id,
            "Email": YAMADA,
            "BouncedAt": "2026-11-27T03:00:00Z",
            "Description": "The server was unable to deliver your message",
            "Details": "smtp;550 5.1.1 user unknown",
            "Inactive": True,
            "Metadata": {},
        }
    )


def test_a_postmark_webhook_with_the_secret_records_delivery_and_bounce(client, provider_campaign, webhook_secret):
    url = "/anymail/postmark/tracking/"
    delivered = client.post(url, postmark_delivery("pm-0"), content_type="application/json", **auth())
    bounced = client.post(url, postmark_bounce("pm-1", 42), content_type="application/json", **auth())

    assert delivered.status_code == bounced.status_code == 200
    assert yamada(provider_campaign).delivered_at is not None
    assert Suppression.objects.get().email_normalized == "sato@fuji.example"


def test_a_sendgrid_webhook_batch_is_recorded(client, provider_campaign, webhook_secret):
    events = [
        {"event": "delivered", "email": YAMADA, "timestamp": 1795834800, "sg_event_id": "sg1", "anymail_id": "pm-0"},
        {"event": "spamreport", "email": YAMADA, "timestamp": 1795834900, "sg_event_id": "sg2", "anymail_id": "pm-0"},
    ]
    response = client.post("/anymail/sendgrid/tracking/", json.dumps(events), content_type="application/json", **auth())

    assert response.status_code == 200
    assert sorted(Event.objects.values_list("kind", flat=True)) == ["complained", "delivered"]
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINT


@pytest.mark.parametrize("credentials", [None, "okuru:wrong", "nobody:" + SECRET.split(":")[1]])
def test_posts_without_or_with_a_wrong_secret_are_rejected(client, provider_campaign, webhook_secret, credentials):
    headers = auth(credentials) if credentials else {}
    url = "/anymail/postmark/tracking/"
    response = client.post(url, postmark_bounce("pm-0", 7), content_type="application/json", **headers)

    assert response.status_code in (400, 401, 403)
    assert not Event.objects.exists() and not Suppression.objects.exists()


def test_without_a_configured_secret_every_post_is_rejected(client, provider_campaign):
    response = client.post(
        "/anymail/postmark/tracking/", postmark_bounce("pm-0", 8), content_type="application/json", **auth()
    )
    assert response.status_code in (400, 401, 403)
    assert not Event.objects.exists()


@pytest.mark.parametrize("body", ["{not json", "[]", '{"RecordType": "Bounce"}', '"just a string"', ""])
def test_malformed_webhook_bodies_never_answer_500(client, provider_campaign, webhook_secret, body):
    response = client.post("/anymail/postmark/tracking/", body, content_type="application/json", **auth())
    assert response.status_code < 500
    assert not Suppression.objects.exists()


def test_an_unknown_message_id_is_accepted_and_ignored(client, provider_campaign, webhook_secret):
    response = client.post(
        "/anymail/postmark/tracking/", postmark_bounce("not-ours", 9), content_type="application/json", **auth()
    )
    assert response.status_code == 200
    assert not Event.objects.exists() and not Suppression.objects.exists()


def mounted_webhooks() -> list[str]:
    from tracking.webhook_urls import urlpatterns

    return [f"/anymail/{pattern.pattern}" for pattern in urlpatterns]


def test_only_tracking_webhooks_are_mounted():
    paths = mounted_webhooks()
    assert "/anymail/postmark/tracking/" in paths and "/anymail/amazon_ses/tracking/" in paths
    assert not [path for path in paths if "inbound" in path]


@pytest.mark.parametrize("path", mounted_webhooks())
def test_every_provider_webhook_refuses_unauthenticated_and_malformed_posts(client, webhook_secret, path):
    unauthenticated = client.post(path, "{}", content_type="application/json")
    malformed = client.post(path, "{not json", content_type="application/json", **auth())

    assert 400 <= unauthenticated.status_code < 500  # 404 for providers that need keys this test does not set
    assert malformed.status_code < 500
    assert not Event.objects.exists()
