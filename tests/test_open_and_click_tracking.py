"""The open pixel (K1) and the click redirect (K2): what they record, and everything they refuse."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from campaigns.models import Campaign, Message
from tests import factories
from tests.campaign_world import TWO_LINK_BODY, make_campaign, make_ready_to_send, send_in_process, token_of
from tracking.models import CampaignActivity, Event, EventKind, LinkActivity

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
YAMADA = "yamada@aozora.example"
PRODUCT = "https://alpha.example/product"
SEMINAR = "https://alpha.example/seminar?id=7&ref=mail"


def counters(campaign: Campaign) -> dict[str, int]:
    fields = ["opened", "clicked", "machine_opened", "machine_clicked", "unsubscribed", "delivered"]
    totals = CampaignActivity.objects.filter(campaign=campaign).aggregate(**{f: Sum(f) for f in fields})
    return {field: totals[field] or 0 for field in fields}


def link_counts(campaign: Campaign) -> dict[int, tuple[int, int]]:
    rows = LinkActivity.objects.filter(campaign=campaign).values("link_number")
    rows = rows.annotate(clicks=Sum("clicks"), unique=Sum("unique_clicks")).order_by("link_number")
    return {row["link_number"]: (row["clicks"], row["unique"]) for row in rows}


def message_of(campaign, email=YAMADA) -> Message:
    return Message.objects.get(campaign=campaign, email_normalized=email)


# Opens (K1)


def test_the_pixel_is_an_uncached_gif_and_the_first_open_is_counted_once(client, sent_campaign):
    token = token_of(sent_campaign, YAMADA)
    first = client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER)
    second = client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER)

    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "image/gif"
    assert first.content.startswith(b"GIF89a") and len(first.content) < 100
    assert first["Cache-Control"] == "no-store"
    assert "sessionid" not in first.cookies
    opened_at = message_of(sent_campaign).opened_at
    assert opened_at is not None
    assert Event.objects.filter(message=message_of(sent_campaign), kind=EventKind.OPENED, machine=False).count() == 2
    assert counters(sent_campaign)["opened"] == 1  # unique opens
    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER)
    assert message_of(sent_campaign).opened_at == opened_at  # the first open's time stays


def test_an_open_through_a_privacy_proxy_or_a_head_request_counts_as_a_machine(client, sent_campaign):
    token = token_of(sent_campaign, YAMADA)
    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT="Mozilla/5.0")  # Apple Mail Privacy Protection
    client.head(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER)

    message = message_of(sent_campaign)
    assert message.opened_at is None
    assert message.machine_opened_at is not None
    reasons = sorted(Event.objects.filter(message=message).values_list("machine_reason", flat=True))
    assert reasons == ["head_request", "privacy_proxy"]
    assert counters(sent_campaign) | {} == {
        "opened": 0,
        "clicked": 0,
        "machine_opened": 1,
        "machine_clicked": 0,
        "unsubscribed": 0,
        "delivered": 0,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/t/o/{unknown}.gif",
        "/t/o/{altered}.gif",
        "/t/o/{truncated}.gif",
        "/t/o/{upper}.gif",
        "/t/o/{token}x.gif",
        "/t/o/test.gif",
        "/t/c/{unknown}/1/",
        "/t/c/{altered}/1/",
        "/t/c/{truncated}/1/",
        "/t/c/{token}/3/",
        "/t/c/{token}/99999/",
        "/t/c/{token}/1/?url=https://evil.example/",
        "/t/c/{token}/1/?next=//evil.example",
    ],
)
def test_forged_altered_truncated_tokens_and_unknown_links_are_404_and_record_nothing(client, sent_campaign, path):
    token = token_of(sent_campaign, YAMADA)
    altered = token[:-1] + ("0" if token[-1] != "0" else "1")
    url = path.format(token=token, unknown="0" * 32, altered=altered, truncated=token[:31], upper=token.upper())
    response = client.get(url, HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 404
    assert not Event.objects.exists()
    assert not CampaignActivity.objects.exists()
    assert "evil" not in response.get("Location", "")


def test_a_message_that_was_never_sent_tracks_nothing(client, tenant_a, bob, ready_list):
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list)
    Message.objects.create(
        tenant=tenant_a, campaign=campaign, email="x@y.example", email_normalized="x@y.example", token="a" * 32
    )
    assert client.get(f"/t/o/{'a' * 32}.gif", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert not Event.objects.exists()


def test_a_mail_sent_with_a_32_character_token_before_tokens_began_with_the_time_still_tracks(client, sent_campaign):
    legacy = "0123456789abcdef" * 2
    Message.objects.filter(pk=message_of(sent_campaign).pk).update(token=legacy)
    assert len(token_of(sent_campaign, YAMADA)) == 32
    response = client.get(f"/t/o/{legacy}.gif", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    assert Event.objects.filter(message=message_of(sent_campaign), kind=EventKind.OPENED).count() == 1


# Clicks (K2)


def test_a_click_redirects_to_the_stored_link_and_counts_an_open_too(client, sent_campaign):
    token = token_of(sent_campaign, YAMADA)
    response = client.get(f"/t/c/{token}/2/", HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 302
    assert response["Location"] == SEMINAR
    assert response["Cache-Control"] == "no-store"
    message = message_of(sent_campaign)
    assert message.clicked_at is not None and message.opened_at is not None
    assert counters(sent_campaign)["clicked"] == 1
    assert counters(sent_campaign)["opened"] == 1
    assert link_counts(sent_campaign) == {2: (1, 1)}


def test_clicks_per_link_count_every_click_and_each_recipient_once(client, sent_campaign):
    yamada, sato = token_of(sent_campaign, YAMADA), token_of(sent_campaign, "sato@fuji.example")
    for token in (yamada, yamada, sato):
        assert client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=BROWSER)["Location"] == PRODUCT
    Event.objects.update(occurred_at=timezone.now() - timedelta(minutes=5))  # the second link read later
    client.get(f"/t/c/{yamada}/2/", HTTP_USER_AGENT=BROWSER)

    assert link_counts(sent_campaign) == {1: (3, 2), 2: (1, 1)}
    assert counters(sent_campaign)["clicked"] == 2  # two people clicked


def test_the_same_token_of_another_campaign_never_touches_this_one(client, sent_campaign, tenant_b, charlie):
    make_ready_to_send(tenant_b)
    factories.make_lead(tenant_b, email="yamada@aozora.example", industry="IT")
    their_list = factories.make_lead_list(tenant_b, filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]})
    theirs = send_in_process(make_campaign(tenant_b, charlie, lead_list=their_list, body_html=TWO_LINK_BODY))

    client.get(f"/t/c/{token_of(theirs, YAMADA)}/1/", HTTP_USER_AGENT=BROWSER)

    assert counters(theirs)["clicked"] == 1
    assert counters(sent_campaign)["clicked"] == 0
    assert message_of(sent_campaign).clicked_at is None
    assert Event.objects.get().tenant_id == tenant_b.pk


def test_only_http_and_https_destinations_exist(client, sent_campaign):
    Campaign.objects.filter(pk=sent_campaign.pk).update(link_urls=["javascript:alert(1)", "//evil.example/"])
    token = token_of(sent_campaign, YAMADA)
    assert client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get(f"/t/c/{token}/2/", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert not Event.objects.exists()


# Machine clicks (K5)


def test_the_hidden_honeypot_link_is_a_machine_click_that_leads_nowhere(client, sent_campaign):
    token = token_of(sent_campaign, YAMADA)
    response = client.get(f"/t/c/{token}/0/", HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 200 and "Location" not in response
    message = message_of(sent_campaign)
    assert message.clicked_at is None and message.machine_clicked_at is not None
    assert Event.objects.get().machine_reason == "honeypot"
    # the scanner then follows the real links too: machine, not a person
    client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=BROWSER)
    assert Event.objects.order_by("-id").first().machine_reason == "after_honeypot"
    assert counters(sent_campaign)["clicked"] == 0
    assert counters(sent_campaign)["machine_clicked"] == 1
    assert link_counts(sent_campaign) == {}


def test_every_link_followed_at_once_is_a_machine(client, sent_campaign):
    token = token_of(sent_campaign, YAMADA)
    client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=BROWSER)
    client.get(f"/t/c/{token}/2/", HTTP_USER_AGENT=BROWSER)

    reasons = list(Event.objects.order_by("id").values_list("machine_reason", flat=True))
    assert reasons == ["", "all_links_at_once"]
    assert link_counts(sent_campaign) == {1: (1, 1)}


@pytest.mark.django_db(transaction=True)
def test_links_followed_at_the_same_moment_are_classified_one_after_the_other(sent_campaign, monkeypatch):
    """A scanner fetches both links in parallel. The click locks its message while it reads the earlier
    clicks and writes, so the second sees the first; the pause keeps both in flight together."""
    from django.db import connection
    from django.test import Client

    import tracking.services

    classify = tracking.services.click_machine_reason

    def slowly(*args, **kwargs):
        time.sleep(0.3)
        return classify(*args, **kwargs)

    monkeypatch.setattr(tracking.services, "click_machine_reason", slowly)
    token = token_of(sent_campaign, YAMADA)
    start = threading.Barrier(2)

    def follow(link_number: int) -> int:
        try:
            start.wait()
            return Client().get(f"/t/c/{token}/{link_number}/", HTTP_USER_AGENT=BROWSER).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(follow, [1, 2]))

    assert answers == [302, 302]
    reasons = sorted(Event.objects.filter(kind=EventKind.CLICKED).values_list("machine_reason", flat=True))
    assert reasons == ["", "all_links_at_once"]


def test_a_click_seconds_after_sending_is_a_scanner_at_the_receiving_server(client, sent_campaign):
    Message.objects.filter(campaign=sent_campaign).update(sent_at=timezone.now() - timedelta(seconds=3))
    client.get(f"/t/c/{token_of(sent_campaign, YAMADA)}/1/", HTTP_USER_AGENT=BROWSER)

    assert Event.objects.get().machine_reason == "too_soon"
    assert message_of(sent_campaign).opened_at is None


@pytest.mark.parametrize(
    "agent",
    ["", "Barracuda Sentinel (EE)", "python-requests/2.31", "curl/8.5.0", "Mozilla/5.0 (compatible; bingbot/2.0)"],
)
def test_scanners_and_scripts_are_machines(client, sent_campaign, agent):
    client.get(f"/t/c/{token_of(sent_campaign, YAMADA)}/1/", HTTP_USER_AGENT=agent)

    event = Event.objects.get()
    assert event.machine and event.machine_reason in {"scanner", "no_user_agent"}
    assert counters(sent_campaign)["clicked"] == 0


def test_the_mail_carries_the_pixel_and_a_hidden_honeypot_link(sent_campaign):
    from django.core import mail

    token = token_of(sent_campaign, YAMADA)
    html = next(m for m in mail.outbox if m.to == [YAMADA]).alternatives[0][0]
    assert f"https://mail.okuru.example/t/o/{token}.gif" in html
    assert f'<a href="https://mail.okuru.example/t/c/{token}/0/" style="display:none' in html
    assert f"https://mail.okuru.example/t/c/{token}/1/" in html
    assert PRODUCT not in html  # links go through tracking
