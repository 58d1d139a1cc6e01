"""The send path called in-process (S1–S9): snapshot, batches, headers, retries, failures, control, sweeper.

The same functions run inside the Celery worker (tests/test_sending_worker.py proves that part); here
each step is driven directly so every state can be checked exactly.
"""

from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.utils import timezone

from campaigns import delivery, services
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from leads.selectors import lead_timeline
from leads.services import delete_lead, suppress_address
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, run_until_idle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sending_settings(settings):
    settings.PUBLIC_BASE_URL = "https://mail.okuru.example"
    settings.SENDING_RETRY_BASE_SECONDS = 0  # a retry is due at once
    settings.SENDING_BATCH_SIZE = 50
    settings.SENDING_RATE_PER_DOMAIN = 10_000  # the domain throttle has its own test below


def people(tenant, count, domain="kaisha.example", **fields):
    return [
        factories.make_lead(
            tenant,
            email=f"person{n}@{domain}",
            company_name=f"会社{n}",
            last_name=f"姓{n}",
            first_name=f"名{n}",
            industry="IT",
            **fields,
        )
        for n in range(count)
    ]


@pytest.fixture
def it_list(tenant_a):
    make_ready_to_send(tenant_a)
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    return factories.make_lead_list(
        tenant_a, name="IT", filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]}
    )


def started(tenant, owner, lead_list, **fields) -> Campaign:
    campaign = make_campaign(tenant, owner, lead_list=lead_list, **fields)
    services.request_send(campaign)
    campaign = services.start_sending(campaign.pk)
    assert campaign.status == CampaignStatus.SENDING, campaign.status_note
    return campaign


def on_building_the_mail_to(monkeypatch, address: str, action) -> None:
    """The send path's build_email, calling `action()` first when it builds the mail to `address`."""
    real_build = delivery.build_email

    def build(envelope, rendered, to, **kwargs):
        if to == address:
            action()
        return real_build(envelope, rendered, to, **kwargs)

    monkeypatch.setattr(delivery, "build_email", build)


def statuses(campaign) -> dict[str, int]:
    result: dict[str, int] = {}
    for status in Message.objects.filter(campaign=campaign).values_list("status", flat=True):
        result[status] = result.get(status, 0) + 1
    return result


def test_snapshot_counts_each_exclusion_and_writes_one_message_per_address(tenant_a, bob, it_list):
    people(tenant_a, 3)
    for email in ("info@kaisha.example", "gone@kaisha.example", "broken-address", "PERSON0@kaisha.example"):
        factories.make_lead(tenant_a, email=email, industry="IT")
    suppress_address(tenant=tenant_a, email="gone@kaisha.example", reason="unsubscribed")
    campaign = started(tenant_a, bob, it_list)
    assert campaign.recipients_total == 3
    assert campaign.exclusions == {"suppressed": 1, "info": 1, "invalid": 1, "duplicate": 1}
    tokens = list(Message.objects.filter(campaign=campaign).values_list("token", flat=True))
    assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(token) == 44 for token in tokens)
    # the newest lead with a shared address is the one the mail is addressed to
    assert (
        Message.objects.get(campaign=campaign, email_normalized="person0@kaisha.example").email
        == "PERSON0@kaisha.example"
    )


def test_tokens_are_new_randomness_for_every_campaign(tenant_a, bob, it_list):
    people(tenant_a, 20)
    first, second = started(tenant_a, bob, it_list), started(tenant_a, bob, it_list)
    tokens_of = {
        campaign.pk: dict(Message.objects.filter(campaign=campaign).values_list("lead_id", "token"))
        for campaign in (first, second)
    }
    assert tokens_of[first.pk].keys() == tokens_of[second.pk].keys()
    assert not set(tokens_of[first.pk].values()) & set(tokens_of[second.pk].values())  # the same lead, new token
    every_token = [*tokens_of[first.pk].values(), *tokens_of[second.pk].values()]
    assert all(len(token) == 44 and int(token, 16) >= 0 for token in every_token)
    # after the time, 128 random bits each: 40 tokens use far more than a handful of hex digits in every position
    assert all(len({token[position] for token in every_token}) > 8 for position in range(12, 44))


def test_starting_twice_snapshots_once(tenant_a, bob, it_list):
    people(tenant_a, 2)
    campaign = started(tenant_a, bob, it_list)
    assert services.start_sending(campaign.pk).status == CampaignStatus.SENDING
    assert Message.objects.filter(campaign=campaign).count() == 2


def test_a_list_that_now_matches_nobody_is_not_started(tenant_a, bob, it_list):
    campaign = make_campaign(tenant_a, bob, lead_list=it_list)
    lead = people(tenant_a, 1)[0]
    services.request_send(campaign)
    delete_lead(lead=lead)
    campaign = services.start_sending(campaign.pk)
    assert campaign.status == CampaignStatus.DRAFT
    assert "Nobody on this list" in campaign.status_note or "送信できる宛先がありません" in campaign.status_note
    assert not Message.objects.filter(campaign=campaign).exists()


def test_every_recipient_gets_one_personal_mail_with_the_headers_of_s3(tenant_a, bob, it_list, mail_catcher):
    people(tenant_a, 7)
    campaign = started(tenant_a, bob, it_list, subject="{{CompanyName}} {{LastName}}様へ")
    run_until_idle(campaign)
    mails = mail_catcher.wait_for(7)
    assert len(mails) == 7
    by_recipient = {parseaddr(mail.to)[1]: mail for mail in mails}
    for n in range(7):
        mail = by_recipient[f"person{n}@kaisha.example"]
        message = Message.objects.get(campaign=campaign, email=f"person{n}@kaisha.example")
        headers = dict(mail.headers)
        assert mail.subject == f"会社{n} 姓{n}様へ"
        assert f"姓{n} 名{n} 様" in mail.text and f"姓{n} 名{n} 様" in mail.html
        assert headers["List-Unsubscribe"] == f"<https://mail.okuru.example/u/{message.token}/>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["Reply-To"] == "reply@alpha.example"
        assert parseaddr(headers["From"])[1] == "sales@alpha.example"
        assert headers["Message-ID"] == message.provider_message_id
        assert f"https://mail.okuru.example/t/o/{message.token}.gif" in mail.html
    assert len({dict(mail.headers)["Message-ID"] for mail in mails}) == 7
    assert statuses(campaign) == {"sent": 7}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.finished_at


def test_no_reply_to_means_no_reply_to_header(tenant_a, bob, it_list, mail_catcher):
    people(tenant_a, 1)
    campaign = started(tenant_a, bob, it_list, reply_to="", no_reply_to=True)
    run_until_idle(campaign)
    [mail] = mail_catcher.wait_for(1)
    assert "Reply-To" not in dict(mail.headers)


def test_an_address_suppressed_mid_send_is_skipped(tenant_a, bob, it_list, mail_catcher, settings):
    settings.SENDING_BATCH_SIZE = 2
    people(tenant_a, 4)
    campaign = started(tenant_a, bob, it_list)
    delivery.deliver_batch(campaign.pk)  # person0 and person1
    suppress_address(tenant=tenant_a, email="person3@kaisha.example", reason="unsubscribed")
    run_until_idle(campaign)
    assert {parseaddr(mail.to)[1] for mail in mail_catcher.wait_for(3)} == {
        "person0@kaisha.example",
        "person1@kaisha.example",
        "person2@kaisha.example",
    }
    skipped = Message.objects.get(campaign=campaign, status=MessageStatus.SKIPPED)
    assert skipped.email == "person3@kaisha.example" and "suppressed" in skipped.error


def test_a_lead_deleted_mid_send_is_skipped_with_a_reason(tenant_a, bob, it_list, mail_catcher):
    leads = people(tenant_a, 2)
    campaign = started(tenant_a, bob, it_list)
    delete_lead(lead=leads[1])
    run_until_idle(campaign)
    assert statuses(campaign) == {"sent": 1, "skipped": 1}
    assert "deleted" in Message.objects.get(campaign=campaign, status="skipped").error


def test_temporary_refusals_are_retried_then_sent_permanent_ones_fail_with_the_reason(
    tenant_a, bob, it_list, refusing_mail_server
):
    # busy and bounce are refused at RCPT TO; spam and full after the content went out, an answer the send path
    # reads only once it has built the next mail: the refusal still lands on the right message
    for email in ("busy", "bounce", "spam", "full", "fine"):
        factories.make_lead(tenant_a, email=f"{email}@kaisha.example", industry="IT")
    campaign = started(tenant_a, bob, it_list)
    run_until_idle(campaign)
    busy = Message.objects.get(campaign=campaign, email="busy@kaisha.example")
    bounce = Message.objects.get(campaign=campaign, email="bounce@kaisha.example")
    spam = Message.objects.get(campaign=campaign, email="spam@kaisha.example")
    full = Message.objects.get(campaign=campaign, email="full@kaisha.example")
    assert busy.status == MessageStatus.SENT and busy.attempts == 3
    assert refusing_mail_server.tries["busy@kaisha.example"] == 3
    assert bounce.status == MessageStatus.FAILED and bounce.attempts == 1
    assert "550" in bounce.error and "No such user" in bounce.error
    assert spam.status == MessageStatus.FAILED and spam.attempts == 1
    assert "554" in spam.error and "rejected as spam" in spam.error
    assert full.status == MessageStatus.SENT and full.attempts == 3
    assert refusing_mail_server.content_tries["full@kaisha.example"] == 3
    [failure] = [entry for entry in lead_timeline(bounce.lead) if entry.kind == "mail-failed"]
    assert "550" in failure.detail and failure.campaign_name == campaign.name  # on the lead's history (S7, L4)
    assert [entry.kind for entry in lead_timeline(busy.lead)][:2] == ["mail-delivered", "mail-sent"]  # SMTP: accepted
    assert Message.objects.get(campaign=campaign, email="fine@kaisha.example").status == MessageStatus.SENT
    assert {parseaddr(mail.to)[1] for mail in refusing_mail_server.wait_for(3)} == {
        "busy@kaisha.example",
        "full@kaisha.example",
        "fine@kaisha.example",
    }


def test_a_mail_whose_answer_was_lost_after_it_went_out_is_unknown_and_never_sent_again(
    tenant_a, bob, it_list, refusing_mail_server
):
    for email in ("lost@kaisha.example", "fine@kaisha.example"):
        factories.make_lead(tenant_a, email=email, industry="IT")
    campaign = started(tenant_a, bob, it_list)
    run_until_idle(campaign)
    lost = Message.objects.get(campaign=campaign, email="lost@kaisha.example")
    assert lost.status == MessageStatus.UNKNOWN and lost.attempts == 1
    assert "may have taken this mail" in lost.error
    assert Message.objects.get(campaign=campaign, email="fine@kaisha.example").status == MessageStatus.SENT
    caught = [parseaddr(mail.to)[1] for mail in refusing_mail_server.wait_for(2)]
    assert sorted(caught) == ["fine@kaisha.example", "lost@kaisha.example"]  # the server did take it, once
    assert refusing_mail_server.tries["lost@kaisha.example"] == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_mail_cancelled_while_its_envelope_goes_out_is_never_sent(
    tenant_a, bob, it_list, refusing_mail_server, monkeypatch
):
    # through SMTP, MAIL FROM and RCPT TO go out while the mail's mark is being saved; the content only once
    # it is. person1 is built while person0's answer is awaited, and the campaign is cancelled right then.
    people(tenant_a, 3)
    campaign = started(tenant_a, bob, it_list)
    on_building_the_mail_to(
        monkeypatch, "person1@kaisha.example", lambda: services.cancel_campaign(Campaign.objects.get(pk=campaign.pk))
    )
    delivery.deliver_batch(campaign.pk)
    assert statuses(campaign) == {"sent": 1, "skipped": 2}
    assert refusing_mail_server.tries["person1@kaisha.example"] == 1  # its envelope reached the server ...
    assert [parseaddr(mail.to)[1] for mail in refusing_mail_server.messages()] == ["person0@kaisha.example"]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert {status: count for status, count in campaign.outcome_counts.items() if count} == {"sent": 1, "skipped": 2}


def test_a_chain_with_nothing_due_comes_back_when_the_first_retry_is(
    tenant_a, bob, it_list, refusing_mail_server, settings
):
    settings.SENDING_RETRY_BASE_SECONDS = 30
    factories.make_lead(tenant_a, email="busy@kaisha.example", industry="IT")
    campaign = started(tenant_a, bob, it_list)
    assert delivery.deliver_batch(campaign.pk).more_work  # refused with 451: a retry in 30 s
    waiting = delivery.deliver_batch(campaign.pk)  # nothing due now
    assert waiting.more_work and 25 < waiting.retry_in <= 30  # not left for the sweeper
    Message.objects.filter(campaign=campaign).update(next_attempt_at=timezone.now())
    delivery.deliver_batch(campaign.pk)
    assert Message.objects.get(campaign=campaign).attempts == 2


def test_a_mail_that_cannot_be_built_fails_with_the_reason_and_the_rest_go_out(
    tenant_a, bob, it_list, mail_catcher, monkeypatch
):
    people(tenant_a, 3)
    campaign = started(tenant_a, bob, it_list)

    def refuse():
        raise ValueError("a header the mail library refuses")

    on_building_the_mail_to(monkeypatch, "person1@kaisha.example", refuse)
    run_until_idle(campaign)
    broken = Message.objects.get(campaign=campaign, email="person1@kaisha.example")
    assert broken.status == MessageStatus.FAILED and "could not be built" in broken.error
    assert "header the mail library refuses" in broken.error
    assert broken.attempts == 0  # the provider never saw it
    assert statuses(campaign) == {"sent": 2, "failed": 1}
    assert len(mail_catcher.wait_for(2)) == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_temporary_errors_give_up_after_the_cap(tenant_a, bob, it_list, refusing_mail_server, settings):
    settings.SENDING_MAX_ATTEMPTS = 2
    factories.make_lead(tenant_a, email="busy@kaisha.example", industry="IT")
    campaign = started(tenant_a, bob, it_list)
    run_until_idle(campaign)
    message = Message.objects.get(campaign=campaign)
    assert message.status == MessageStatus.FAILED and "gave up after 2 attempts" in message.error


def test_a_provider_that_is_down_delays_the_campaign_and_loses_nothing(tenant_a, bob, it_list, settings, mail_catcher):
    people(tenant_a, 3)
    campaign = started(tenant_a, bob, it_list)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = 9, 2  # nothing listens there
    delivery.deliver_batch(campaign.pk)
    assert statuses(campaign) == {"pending": 3}
    assert Message.objects.filter(campaign=campaign, error__contains="Connection").count() >= 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    settings.EMAIL_PORT = working_port
    run_until_idle(campaign)
    assert statuses(campaign) == {"sent": 3}
    assert mail_catcher.wait_for(3)


def test_pause_resume_and_cancel_keep_exact_totals(tenant_a, bob, it_list, mail_catcher, settings):
    settings.SENDING_BATCH_SIZE = 3
    people(tenant_a, 10)
    campaign = started(tenant_a, bob, it_list)
    delivery.deliver_batch(campaign.pk)
    services.pause_sending(campaign)
    assert delivery.deliver_batch(campaign.pk).more_work is False
    assert statuses(campaign) == {"sent": 3, "pending": 7}
    services.resume_sending(campaign)
    delivery.deliver_batch(campaign.pk)
    assert statuses(campaign) == {"sent": 6, "pending": 4}
    services.cancel_campaign(campaign)
    assert delivery.deliver_batch(campaign.pk).more_work is False
    assert statuses(campaign) == {"sent": 6, "skipped": 4}
    assert mail_catcher.wait_for(6) and mail_catcher.count() == 6
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_the_sweeper_requeues_claims_and_never_resends_a_handover(tenant_a, bob, it_list, settings):
    settings.SENDING_CLAIM_TIMEOUT = settings.SENDING_HANDOVER_TIMEOUT = 2
    people(tenant_a, 3)
    campaign = started(tenant_a, bob, it_list)
    _claim, messages = delivery.claim_batch(campaign, 3)
    # stale, but younger than the database's start (claims from before a restart: test_sending_database_loss.py)
    long_ago = timezone.now() - timedelta(seconds=5)
    Message.objects.filter(pk=messages[0].pk).update(status=MessageStatus.SENDING, claimed_at=long_ago)
    Message.objects.filter(pk=messages[1].pk).update(claimed_at=long_ago)
    assert delivery.sweep_stalled() == {"released": 1, "unknown": 1}
    assert statuses(campaign) == {"unknown": 1, "pending": 1, "claimed": 1}
    assert "may or may not" in Message.objects.get(status=MessageStatus.UNKNOWN).error


def test_a_lost_chain_is_found_by_the_sweeper(tenant_a, bob, it_list, settings):
    settings.SENDING_STALL_SECONDS = 60
    people(tenant_a, 1)
    campaign = started(tenant_a, bob, it_list)
    assert campaign.pk not in delivery.stalled_campaign_ids()  # just started: its chains are on their way
    Campaign.objects.filter(pk=campaign.pk).update(last_batch_at=timezone.now() - timedelta(minutes=2))
    assert campaign.pk in delivery.stalled_campaign_ids()


def test_a_scheduled_campaign_starts_when_due_and_not_before(tenant_a, bob, it_list):
    people(tenant_a, 1)
    campaign = make_campaign(tenant_a, bob, lead_list=it_list)
    services.schedule_campaign(campaign, timezone.now() + timedelta(hours=1))
    assert campaign.pk not in services.campaigns_due_to_start()
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert services.campaigns_due_to_start() == [campaign.pk]
    assert services.start_sending(campaign.pk).status == CampaignStatus.SENDING


def test_one_recipient_domain_is_throttled_while_others_go_on(tenant_a, bob, it_list, mail_catcher, settings):
    settings.SENDING_RATE_PER_DOMAIN = 2
    people(tenant_a, 5, domain="one-company.example")
    people(tenant_a, 3, domain="other.example")
    campaign = started(tenant_a, bob, it_list)
    delivery.deliver_batch(campaign.pk)
    sent_domains = [
        m.rpartition("@")[2]
        for m in Message.objects.filter(campaign=campaign, status="sent").values_list("email", flat=True)
    ]
    assert sent_domains.count("one-company.example") == 2 and sent_domains.count("other.example") == 2
    waiting = Message.objects.filter(campaign=campaign, status="pending")
    assert waiting.count() == 4 and all(m.next_attempt_at > timezone.now() for m in waiting)
    assert all(m.attempts == 0 for m in waiting)  # a throttled message has not been tried


def test_the_tenant_rate_limits_each_batch_and_says_when_to_come_back(tenant_a, bob, it_list, mail_catcher):
    tenant_a.send_rate_per_second = 3
    tenant_a.save()
    people(tenant_a, 5)
    campaign = started(tenant_a, bob, it_list)
    assert delivery.deliver_batch(campaign.pk).more_work
    assert statuses(campaign) == {"sent": 3, "pending": 2}
    throttled = delivery.deliver_batch(campaign.pk)
    assert throttled.more_work and 0 < throttled.retry_in <= 1
    assert statuses(campaign) == {"sent": 3, "pending": 2}


def test_a_second_send_request_is_refused_and_starts_nothing(tenant_a, bob, it_list):
    people(tenant_a, 2)
    campaign = make_campaign(tenant_a, bob, lead_list=it_list)
    services.request_send(campaign)
    with pytest.raises(services.CampaignRefused):
        services.request_send(campaign)  # a double click, a second API call
    services.start_sending(campaign.pk)
    services.start_sending(campaign.pk)  # a redelivered task, a second beat run
    assert Message.objects.filter(campaign=campaign).count() == 2
