"""The hostile corpus against the public endpoints (K1–K4): the open pixel, the click redirect and the
unsubscribe page with each value as the token, the link number, a query and a body; and the provider
webhook with each value as its body and inside its fields. None answers 500; an unknown token is a 404
that records nothing; a provider's text (a bounce description) shows escaped on the lead's page.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from campaigns.models import Message
from tests.campaign_world import token_of
from tests.test_hostile_inputs import (
    Findings,
    answers_500s,
    check_page,
    hostile_values,
    post_form,
    shows_markup,
)
from tracking.models import Event

pytestmark = pytest.mark.django_db

OPENS = ["opened"]

YAMADA = "yamada@aozora.example"
SECRET = "okuru:webhook-secret-for-tests"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}


def in_path(value: str) -> str:
    """The value as one path segment, percent-encoded (a lone surrogate as its raw bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="") or "%20"


def query(value: str) -> str:
    return urlencode({"q": value, value[:100]: "1"}, encoding="utf-8", errors="surrogatepass")


def test_tracking_and_unsubscribe_urls_answer_404_or_their_page_for_every_value(sent_campaign):
    client = answers_500s(Client(enforce_csrf_checks=True))  # the unsubscribe form's CSRF check as in production
    token = token_of(sent_campaign, YAMADA)
    events_before = Event.objects.exclude(kind__in=OPENS).count()
    findings = Findings()
    for hostile in hostile_values():
        segment = in_path(hostile.value)
        for url in (f"/t/o/{segment}.gif", f"/t/c/{segment}/1/", f"/t/c/{token}/{segment}/", f"/u/{segment}/"):
            response = client.get(url)
            findings.check(response.status_code == 404, hostile, f"GET {url[:40]} answered {response.status_code}")
        one_click = post_form(client, f"/u/{segment}/", {"List-Unsubscribe": "One-Click", "x": hostile.value})
        findings.check(one_click.status_code == 404, hostile, f"one-click answered {one_click.status_code}")
        click = client.get(f"/t/c/{token}/1/?{query(hostile.value)}")  # never a redirect built from a query
        findings.check(click.status_code == 404, hostile, f"click with a query answered {click.status_code}")
        if hostile.kind in ("xss", "unicode", "control", "path"):  # a real token with a query: ignored
            pixel = client.get(f"/t/o/{token}.gif?{query(hostile.value)}")
            findings.check(pixel.status_code == 200, hostile, f"pixel with a query answered {pixel.status_code}")
            check_page(findings, client.get(f"/u/{token}/?{query(hostile.value)}"), hostile, [hostile.value])
        body = post_form(client, f"/u/{token}/", {"List-Unsubscribe": hostile.value})
        findings.check(body.status_code in (200, 403), hostile, f"unsubscribe body answered {body.status_code}")
    events = Event.objects.exclude(kind__in=OPENS).count()
    findings.check(events == events_before, "events", "something besides the pixel's opens was recorded")
    message = Message.objects.get(campaign=sent_campaign, email_normalized=YAMADA)
    findings.check(message.unsubscribed_at is None, "unsubscribe", "a hostile body unsubscribed")
    findings.assert_none()


def postmark_bounce(
    message_id: str, description: str, *, number: int, record_type: str = "Bounce", email: str = YAMADA
) -> str:
    return json.dumps(
        {
            "RecordType": record_type,
            "ID": number,
            "Type": "HardBounce",
            "TypeCode": 1,
            "MessageID": message_id,
            "Email": email,
            "BouncedAt": "2026-11-27T03:00:00Z",
            "Description": description,
            "Details": description,
            "Inactive": True,
            "Metadata": {},
        }
    )


@pytest.fixture
def provider_message(sent_campaign, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    message = Message.objects.get(campaign=sent_campaign, email_normalized=YAMADA)
    message.provider_message_id = "pm-hostile"
    message.save(update_fields=["provider_message_id"])
    return message


def test_the_provider_webhook_never_answers_500_and_its_text_shows_escaped(client, bob_client, provider_message):
    client = answers_500s(client)
    url = "/anymail/postmark/tracking/"
    findings = Findings()
    for hostile in hostile_values():
        raw = client.post(url, hostile.value.encode("utf-8", "surrogatepass"), content_type="application/json", **AUTH)
        findings.check(raw.status_code in (200, 400), hostile, f"raw body answered {raw.status_code}")
        body = postmark_bounce(hostile.value, hostile.value, number=1, record_type=hostile.value, email=hostile.value)
        response = client.post(url, body, content_type="application/json", **AUTH)
        findings.check(response.status_code in (200, 400), hostile, f"JSON body answered {response.status_code}")
        body = postmark_bounce("pm-hostile", hostile.value, number=hostile.number)
        response = client.post(url, body, content_type="application/json", **AUTH)
        findings.check(response.status_code == 200, hostile, f"a bounce answered {response.status_code}")
    bounces = Event.objects.filter(message=provider_message, kind="bounced")
    expected = len(hostile_values())
    findings.check(bounces.count() == expected, "bounces", f"{bounces.count()} bounces recorded, not {expected}")
    lead_page = answers_500s(bob_client).get(f"/leads/{provider_message.lead_id}/")
    check_page(
        findings, lead_page, "the bounced lead's page", [h.value for h in hostile_values() if shows_markup(h.value)]
    )
    findings.assert_none()


@pytest.mark.parametrize("description", ["550 user\x00unknown", "550 \ud800"])
def test_a_bounce_whose_text_cannot_be_stored_as_sent_is_still_recorded(client, provider_message, description):
    body = postmark_bounce("pm-hostile", description, number=1)
    response = answers_500s(client).post("/anymail/postmark/tracking/", body, content_type="application/json", **AUTH)
    assert response.status_code == 200
    event = Event.objects.get(message=provider_message, kind="bounced")
    assert "550 " in event.detail and "\x00" not in event.detail  # kept, minus what cannot be stored


def test_the_login_form_refuses_each_value_beside_its_field(bob):
    """The one form anybody can post: each value as the address and as the password is refused with the
    form's message (or, after many tries, the lock's), shown escaped; nobody is signed in."""
    client = answers_500s(Client())
    findings = Findings()
    for hostile in hostile_values():
        response = post_form(client, "/accounts/login/", {"username": hostile.value, "password": hostile.value})
        if findings.check(response.status_code == 200, hostile, f"login answered {response.status_code}"):
            findings.check(bool(response.context["form"].errors), hostile, "no error shown")
            check_page(findings, response, hostile, [hostile.value])
        findings.check("_auth_user_id" not in client.session, hostile, "signed in")
    findings.assert_none()
