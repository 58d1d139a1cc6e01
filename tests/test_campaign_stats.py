"""Campaign results (D1, D2) and the stats API: figures equal what was done to the mail, counted by hand.

Events come in through the real endpoints (open pixel, click redirect, one-click unsubscribe) and
tracking's provider-event service; the figures are read back through campaigns.selectors and
GET /api/v1/campaigns/{id}/stats/. A finished campaign's figures read counters and the outcome stored
at the end, never its messages.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import delivery, selectors, services, tasks
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from leads.services import suppress_address
from tests import factories
from tests.campaign_world import TWO_LINK_BODY, make_campaign, run_until_idle, send_in_process, token_of
from tracking.services import record_provider_event

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
PRIVACY_PROXY = "Mozilla/5.0"  # Apple Mail Privacy Protection's bare user agent
YAMADA = "yamada@aozora.example"
SATO = "sato@fuji.example"
PRODUCT = "https://alpha.example/product"
SEMINAR = "https://alpha.example/seminar?id=7&ref=mail"
CONTRACT_FIELDS = {
    "sent",
    "delivered",
    "opened",
    "clicked",
    "unsubscribed",
    "failed",
    "excluded",
    "machine_opened",
    "machine_clicked",
    "links",
}


def open_mail(client, token: str, agent: str = BROWSER):
    return client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=agent)


def click(client, token: str, link: int, agent: str = BROWSER):
    return client.get(f"/t/c/{token}/{link}/", HTTP_USER_AGENT=agent)


def one_click_unsubscribe(client, token: str):
    return client.post(f"/u/{token}/", {"List-Unsubscribe": "One-Click"})


def hand_count(campaign: Campaign, field: str) -> int:
    """The first-time timestamps tracking set on the messages: what the counters must agree with."""
    return Message.objects.filter(campaign=campaign, **{f"{field}__isnull": False}).count()


@pytest.fixture
def activity(client, sent_campaign):
    """Yamada opens and clicks the product link twice; Sato's mail is opened by Apple's privacy proxy and
    fetched with HEAD, then Sato clicks the seminar link (an open too), unsubscribes with one click, and a
    scanner follows the hidden honeypot link."""
    yamada, sato = token_of(sent_campaign, YAMADA), token_of(sent_campaign, SATO)
    assert open_mail(client, yamada).status_code == 200
    assert click(client, yamada, 1).status_code == 302
    assert click(client, yamada, 1).status_code == 302
    assert open_mail(client, sato, PRIVACY_PROXY).status_code == 200
    assert client.head(f"/t/o/{sato}.gif", HTTP_USER_AGENT=BROWSER).status_code == 200
    assert click(client, sato, 2)["Location"] == SEMINAR
    assert one_click_unsubscribe(client, sato).status_code == 200
    assert one_click_unsubscribe(client, sato).status_code == 200  # idempotent: counted once
    assert click(client, sato, 0).status_code == 200  # the honeypot: recorded, leads nowhere
    return sent_campaign


def test_figures_equal_the_hand_count_with_people_and_machines_apart(activity):
    stats = selectors.campaign_stats(activity)

    assert (stats.sent, stats.delivered) == (2, 2)  # the locmem backend: acceptance is delivery
    assert stats.opened == 2 == hand_count(activity, "opened_at")  # Sato's click counts as an open
    assert stats.clicked == 2 == hand_count(activity, "clicked_at")
    assert stats.unsubscribed == 1 == hand_count(activity, "unsubscribed_at")
    assert stats.machine_opened == 1 == hand_count(activity, "machine_opened_at")  # proxy and HEAD: one message
    assert stats.machine_clicked == 1 == hand_count(activity, "machine_clicked_at")
    assert (stats.failed, stats.send_failed, stats.bounced, stats.complained) == (0, 0, 0, 0)
    assert stats.excluded == {"suppressed": 0, "info": 0, "invalid": 0, "duplicate": 0}
    assert stats.final and stats.in_flight == 0
    assert stats.rates == selectors.Rates(delivered=1.0, opened=1.0, clicked=1.0, unsubscribed=0.5)
    assert stats.rates.percent.unsubscribed == 50.0


def test_clicks_per_link_count_every_click_and_each_clicker_once_without_the_honeypot(activity):
    links = selectors.campaign_stats(activity).links

    assert links == (
        selectors.LinkFigures(number=1, url=PRODUCT, clicks=2, unique_clicks=1),
        selectors.LinkFigures(number=2, url=SEMINAR, clicks=1, unique_clicks=1),
    )


def test_the_timeline_is_in_japan_time_and_adds_up_to_the_totals(activity):
    stats = selectors.campaign_stats(activity)

    assert stats.timeline_step == "hour"
    assert sum(point.opened for point in stats.timeline) == stats.opened
    assert sum(point.clicked for point in stats.timeline) == stats.clicked
    assert all(point.start.utcoffset() == timedelta(hours=9) for point in stats.timeline)
    assert all(point.start.minute == 0 for point in stats.timeline)
    now_in_tokyo = timezone.localtime(timezone.now()).replace(minute=0, second=0, microsecond=0)
    assert stats.timeline[-1].start == now_in_tokyo and stats.timeline[-1].opened == 2
    # hour by hour from the hour sending started, hours without activity as zeros
    starts = [point.start for point in stats.timeline]
    assert starts == sorted(starts) and all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(starts))


def test_a_finished_campaign_reads_counters_and_its_stored_outcome_never_its_messages(
    activity, django_assert_num_queries
):
    activity.refresh_from_db()
    assert activity.status == CampaignStatus.SENT
    assert activity.outcome_counts == {"sent": 2, "failed": 0, "skipped": 0, "unknown": 0}
    with django_assert_num_queries(2):  # activity per hour, clicks per link
        selectors.campaign_stats(activity)


@pytest.fixture
def mixed_world(tenant_a, bob, ready_list, refusing_mail_server):
    """Through a real SMTP server that refuses bounce@ addresses: Yamada, Sato and Kato get the mail, the
    bounce@ address fails; an info@ address, an undeliverable one, a suppressed one and a second lead with
    Kato's address are left out."""
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    for email in ("kato@kaede.example", "bounce@kaisha.example", "info@kaisha.example", "broken@localhost"):
        factories.make_lead(tenant_a, email=email, industry="IT")
    factories.make_lead(tenant_a, email="Kato@Kaede.example", industry="IT")
    factories.make_lead(tenant_a, email="gone@kaisha.example", industry="IT")
    suppress_address(tenant=tenant_a, email="gone@kaisha.example", reason="unsubscribed")
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list, body_html=TWO_LINK_BODY)
    return send_in_process(campaign)


def test_exclusions_and_refusals_at_hand_over_are_in_the_figures(mixed_world, settings):
    stats = selectors.campaign_stats(mixed_world)

    assert stats.excluded == {"suppressed": 1, "info": 1, "invalid": 1, "duplicate": 1}
    assert stats.recipients == 4
    assert (stats.sent, stats.delivered, stats.send_failed, stats.failed) == (3, 3, 1, 1)
    assert stats.rates.delivered == 1.0
    refused = Message.objects.get(campaign=mixed_world, status=MessageStatus.FAILED)
    assert refused.email == "bounce@kaisha.example" and "550" in refused.error


@pytest.fixture
def provider_campaign(tenant_a, bob, ready_list, settings):
    """Sent through django-anymail (its test backend): delivery is what the provider reports later."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://mail.okuru.example"
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    factories.make_lead(tenant_a, email="kato@kaede.example", industry="IT")
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list, body_html=TWO_LINK_BODY)
    return send_in_process(campaign)


def provider_id(campaign: Campaign, email: str) -> str:
    return Message.objects.get(campaign=campaign, email_normalized=email).provider_message_id


def test_provider_events_make_delivered_bounced_and_complained_once_each(provider_campaign):
    assert not provider_campaign.delivered_on_acceptance
    assert selectors.campaign_stats(provider_campaign).delivered == 0  # nothing reported yet
    yamada, sato, kato = (provider_id(provider_campaign, e) for e in (YAMADA, SATO, "kato@kaede.example"))
    record_provider_event(provider_message_id=yamada, kind="delivered", event_id="ev-1", at=None)
    record_provider_event(provider_message_id=yamada, kind="delivered", event_id="ev-1", at=None)  # the same post
    record_provider_event(provider_message_id=yamada, kind="delivered", event_id="ev-2", at=None)  # a second report
    record_provider_event(provider_message_id=sato, kind="delivered", event_id="ev-3", at=None)
    record_provider_event(provider_message_id=sato, kind="complained", event_id="ev-4", at=None)
    record_provider_event(provider_message_id=kato, kind="bounced", event_id="ev-5", at=None)
    record_provider_event(provider_message_id=kato, kind="deferred", event_id="ev-6", at=None)  # only recorded

    stats = selectors.campaign_stats(provider_campaign)

    assert (stats.sent, stats.delivered) == (3, 2) == (3, hand_count(provider_campaign, "delivered_at"))
    assert (stats.bounced, stats.send_failed, stats.failed) == (1, 0, 1)
    assert stats.complained == 1 == hand_count(provider_campaign, "complained_at")
    assert stats.rates.delivered == pytest.approx(2 / 3)


def test_opens_are_a_share_of_the_delivered_mail(client, provider_campaign):
    yamada = provider_id(provider_campaign, YAMADA)
    open_mail(client, token_of(provider_campaign, YAMADA))
    assert selectors.campaign_stats(provider_campaign).rates.opened is None  # nothing delivered: no share
    record_provider_event(provider_message_id=yamada, kind="delivered", event_id="ev-1", at=None)
    record_provider_event(
        provider_message_id=provider_id(provider_campaign, SATO), kind="delivered", event_id="e2", at=None
    )
    assert selectors.campaign_stats(provider_campaign).rates.opened == 0.5


# Outcome counted once at the end


@pytest.fixture
def sending(tenant_a, bob, ready_list, settings):
    """A started campaign whose mail has not been handed over yet."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    factories.make_lead(tenant_a, email="kato@kaede.example", industry="IT")
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list)
    services.request_send(campaign)
    campaign = services.start_sending(campaign.pk)
    assert campaign.status == CampaignStatus.SENDING
    return campaign


def test_while_sending_the_figures_count_live(sending):
    stats = selectors.campaign_stats(sending)
    assert (stats.sent, stats.in_flight, stats.final) == (0, 3, False)
    assert sending.outcome_counts == {}


def test_a_cancel_with_nothing_in_flight_stores_the_outcome_at_once(sending):
    claim, [first, *_rest] = delivery.claim_batch(sending, 1)
    assert delivery._mark_sending(first, claim)
    delivery._record_sent(first, "<one@alpha.example>", True)

    cancelled = services.cancel_campaign(sending)

    assert cancelled.status == CampaignStatus.CANCELLED
    assert cancelled.outcome_counts == {"sent": 1, "failed": 0, "skipped": 2, "unknown": 0}
    stats = selectors.campaign_stats(cancelled)
    assert (stats.sent, stats.skipped, stats.in_flight, stats.final) == (1, 2, 0, True)


def test_a_mail_being_handed_over_at_cancel_time_is_counted_when_it_ends(sending):
    """The cancel skips what waits; the mail in the worker's hands still ends sent afterwards. Until then
    the figures count live; the worker's finish_if_done after its batch stores the final outcome."""
    claim, [first, *_rest] = delivery.claim_batch(sending, 1)
    assert delivery._mark_sending(first, claim)  # the worker is handing it over now

    cancelled = services.cancel_campaign(sending)

    assert cancelled.outcome_counts == {}
    live = selectors.campaign_stats(cancelled)
    assert (live.sent, live.skipped, live.in_flight, live.final) == (0, 2, 1, False)
    delivery._record_sent(first, "<one@alpha.example>", True)  # the provider accepted it
    assert delivery.finish_if_done(sending.pk) is False  # cancelled stays cancelled
    cancelled.refresh_from_db()
    assert cancelled.status == CampaignStatus.CANCELLED
    assert cancelled.outcome_counts == {"sent": 1, "failed": 0, "skipped": 2, "unknown": 0}
    final = selectors.campaign_stats(cancelled)
    assert (final.sent, final.skipped, final.in_flight, final.final) == (1, 2, 0, True)


def test_finishing_twice_counts_once(sending):
    run_until_idle(sending)
    sending.refresh_from_db()
    assert sending.status == CampaignStatus.SENT
    stored = dict(sending.outcome_counts)
    Message.objects.filter(campaign=sending).update(status=MessageStatus.UNKNOWN)  # what a recount would see
    assert delivery.finish_if_done(sending.pk) is False
    sending.refresh_from_db()
    assert sending.outcome_counts == stored == {"sent": 3, "failed": 0, "skipped": 0, "unknown": 0}


def test_figures_of_a_page_of_campaigns_take_two_queries_whatever_their_number(
    sent_campaign, sending, tenant_a, bob, django_assert_num_queries
):
    draft = make_campaign(tenant_a, bob, name="下書き")
    campaigns = list(Campaign.objects.filter(pk__in=[sent_campaign.pk, sending.pk, draft.pk]))

    with django_assert_num_queries(2):  # counters of all three, live count of the sending one
        figures = selectors.campaign_figures(campaigns)

    assert set(figures) == {sent_campaign.pk, sending.pk}  # a draft has no figures
    assert (figures[sent_campaign.pk].sent, figures[sending.pk].in_flight) == (2, 3)
    with django_assert_num_queries(1):  # only finished ones: counters alone
        selectors.campaign_figures([sent_campaign])


# The stats API (I2)


def test_the_stats_api_answers_the_contract_shape(activity, bob_api):
    response = bob_api.get(f"/api/v1/campaigns/{activity.pk}/stats/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert {k: body[k] for k in CONTRACT_FIELDS - {"excluded", "links"}} == {
        "sent": 2,
        "delivered": 2,
        "opened": 2,
        "clicked": 2,
        "unsubscribed": 1,
        "failed": 0,
        "machine_opened": 1,
        "machine_clicked": 1,
    }
    assert body["excluded"] == {"suppressed": 0, "info": 0, "invalid": 0, "duplicate": 0}
    assert body["links"] == [
        {"number": 1, "url": PRODUCT, "clicks": 2, "unique_clicks": 1},
        {"number": 2, "url": SEMINAR, "clicks": 1, "unique_clicks": 1},
    ]
    assert body["rates"] == {"delivered": 1.0, "opened": 1.0, "clicked": 1.0, "unsubscribed": 0.5}
    assert body["final"] is True and body["timeline_step"] == "hour"
    assert sum(point["opened"] for point in body["timeline"]) == 2
    assert body["timeline"][0]["start"].endswith("+09:00")


def test_the_stats_api_follows_who_may_see_the_campaign(sent_campaign, bob_api, alice_api, charlie_api, tenant_a):
    from rest_framework.test import APIClient

    assert alice_api.get(f"/api/v1/campaigns/{sent_campaign.pk}/stats/").status_code == 200  # an admin sees all
    assert charlie_api.get(f"/api/v1/campaigns/{sent_campaign.pk}/stats/").status_code == 404  # another tenant
    colleague = factories.make_user(tenant_a, email="rep2@alpha.example")
    colleague_api = APIClient()
    colleague_api.force_authenticate(colleague)
    assert colleague_api.get(f"/api/v1/campaigns/{sent_campaign.pk}/stats/").status_code == 404  # a rep: own only
    assert APIClient().get(f"/api/v1/campaigns/{sent_campaign.pk}/stats/").status_code in (401, 403)


def test_a_draft_has_zero_figures_in_the_api(draft, bob_api):
    body = bob_api.get(f"/api/v1/campaigns/{draft.pk}/stats/").json()
    assert body["sent"] == body["opened"] == 0 and body["links"] == [] and body["rates"]["opened"] is None


def test_the_schema_documents_the_stats_response(db):
    import yaml
    from django.test import Client

    schema = yaml.safe_load(Client().get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/campaigns/{id}/stats/"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rpartition("/")[2]]
    assert set(component["properties"]) >= CONTRACT_FIELDS


def test_a_worker_that_died_handing_over_at_cancel_time_is_counted_by_the_sweeper(sending, settings):
    claim, [first, *_rest] = delivery.claim_batch(sending, 1)
    assert delivery._mark_sending(first, claim)  # ... and then the worker is killed
    cancelled = services.cancel_campaign(sending)
    assert cancelled.outcome_counts == {}
    settings.SENDING_HANDOVER_TIMEOUT = 0
    Message.objects.filter(pk=first.pk).update(claimed_at=timezone.now() - timedelta(seconds=1))

    tasks.sweep_stalled_sending()

    cancelled.refresh_from_db()
    assert cancelled.status == CampaignStatus.CANCELLED
    assert cancelled.outcome_counts == {"sent": 0, "failed": 0, "skipped": 2, "unknown": 1}
