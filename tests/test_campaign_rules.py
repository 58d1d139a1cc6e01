"""What stops a campaign from being sent or scheduled (C1–C9, A4, A5), checked through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from campaigns import services
from campaigns.models import CampaignStatus
from campaigns.rules import NON_FIELD
from leads.services import suppress_address
from tests.campaign_world import make_campaign

pytestmark = pytest.mark.django_db


def refused_problems(call, *args, **kwargs) -> dict:
    with pytest.raises(services.CampaignRefused) as refused:
        call(*args, **kwargs)
    return refused.value.problems


def test_a_complete_campaign_is_queued_and_not_reported_as_sent(draft):
    campaign = services.request_send(draft)
    assert campaign.status == CampaignStatus.QUEUED
    assert campaign.queued_at is not None


def test_a_draft_may_lack_everything_but_sending_names_each_missing_field(tenant_a, bob, ready_list):
    campaign = services.create_campaign(tenant_a, bob, name="下書き", subject="", body_html="", from_email="")
    problems = refused_problems(services.request_send, campaign)
    assert {"subject", "body_html", "from_name", "from_email", "reply_to", "lead_list"} <= set(problems)


def test_no_reply_to_makes_reply_to_optional(draft):
    services.update_campaign(draft, reply_to="", no_reply_to=True)
    assert services.request_send(draft).status == CampaignStatus.QUEUED


def test_a_subject_with_a_line_break_is_never_stored(tenant_a, bob):
    with translation.override("ja"):
        problems = refused_problems(
            services.create_campaign, tenant_a, bob, name="x", subject="件名\r\nBcc: x@evil.example"
        )
    assert problems == {"subject": ["件名は改行せず1行で入力してください。"]}


def test_the_body_is_stored_cleaned(tenant_a, bob):
    campaign = services.create_campaign(
        tenant_a,
        bob,
        name="x",
        body_html='<p onclick="x()">本文<script>alert(1)</script><iframe src="//evil"></iframe>'
        '<a href="javascript:alert(1)">a</a><span style="position:fixed">s</span></p>',
    )
    assert campaign.body_html == "<p>本文<a>a</a>s</p>"


def test_unknown_and_malformed_tags_stop_sending_and_are_named(draft):
    services.update_campaign(
        draft, subject="{{Company}}様", body_html=draft.body_html + "<p>{{Unsubscribe}} {{Email}}</p>"
    )
    problems = refused_problems(services.request_send, draft)
    assert "{{Company}}" in problems["subject"][0]
    assert any("{{Unsubscribe}}" in message for message in problems["body_html"])
    assert any("{{Email}}" in message for message in problems["body_html"])


def test_without_the_unsubscribe_tag_sending_and_scheduling_are_refused(draft):
    services.update_campaign(draft, body_html="<p>{{CompanyName}} 様</p>")
    assert "{{Unsubscribe:メールの配信停止はこちら}}" in refused_problems(services.request_send, draft)["body_html"][0]
    later = timezone.now() + timedelta(hours=2)
    assert "body_html" in refused_problems(services.schedule_campaign, draft, later)
    assert draft.status == CampaignStatus.DRAFT


def test_from_on_an_unregistered_domain_is_refused(draft):
    services.update_campaign(draft, from_email="sales@not-registered.example")
    assert "not-registered.example" in refused_problems(services.request_send, draft)["from_email"][0]


def test_missing_legal_sender_information_refuses_sending(draft, tenant_a):
    tenant_a.legal_postal_address = ""
    tenant_a.save()
    problems = refused_problems(services.request_send, draft)
    assert list(problems) == [NON_FIELD]


def test_a_list_nobody_on_can_receive_is_refused(tenant_a, bob, draft):
    for address in ("yamada@aozora.example", "sato@fuji.example"):
        suppress_address(tenant=tenant_a, email=address, reason="unsubscribed")
    assert "lead_list" in refused_problems(services.request_send, draft)


@pytest.mark.parametrize(
    ("minutes_ahead", "accepted"),
    [(-60, False), (0, False), (29, False), (29.99, False), (30, True), (31, True), (60 * 24 * 30, True)],
)
def test_a_schedule_must_be_at_least_30_minutes_ahead(draft, minutes_ahead, accepted):
    now = timezone.now()
    when = now + timedelta(minutes=minutes_ahead)
    if accepted:
        assert services.schedule_campaign(draft, when, now=now).status == CampaignStatus.SCHEDULED
    else:
        assert "30" in refused_problems(services.schedule_campaign, draft, when, now=now)["scheduled_at"][0]


def test_a_scheduled_campaign_can_be_rescheduled_and_cancelled_back_to_a_draft(draft):
    services.schedule_campaign(draft, timezone.now() + timedelta(hours=1))
    services.schedule_campaign(draft, timezone.now() + timedelta(hours=3))
    with pytest.raises(services.CampaignRefused):
        services.update_campaign(draft, name="予約中の変更")
    assert services.cancel_campaign(draft).status == CampaignStatus.DRAFT


def test_cancel_is_refused_for_a_draft(draft):
    assert NON_FIELD in refused_problems(services.cancel_campaign, draft)


def test_only_drafts_and_cancelled_campaigns_can_be_deleted(draft):
    services.request_send(draft)
    draft.refresh_from_db()
    refused_problems(services.delete_campaign, draft)


def test_another_campaign_of_the_rep_is_independent(tenant_a, bob, ready_list):
    first = make_campaign(tenant_a, bob, lead_list=ready_list)
    second = make_campaign(tenant_a, bob, lead_list=ready_list, name="二通目")
    services.request_send(first)
    second.refresh_from_db()
    assert second.status == CampaignStatus.DRAFT
