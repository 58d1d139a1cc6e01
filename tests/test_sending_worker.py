"""Sending through a real Celery worker process on PostgreSQL, Redis and the SMTP catcher (S5).

Includes the crash test: a worker SIGKILLed mid-campaign, a new one started, and every recipient in
the catcher exactly once, or `unknown` in the database (at most the messages being handed over at
the moment of the kill), none missing.
"""

import time
from collections import Counter
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns import services, tasks
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from leads.models import Lead
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker_env(SENDING_RATE_PER_DOMAIN="100000")]


def ready_tenant(tenant, leads: int, *, rate: int = 100_000, domain: str = "kaisha.example"):
    make_ready_to_send(tenant)
    tenant.send_rate_per_second = rate
    tenant.save()
    Lead.objects.bulk_create(
        [
            Lead(tenant=tenant, email=f"p{n}@{domain}", email_normalized=f"p{n}@{domain}", company_name=f"会社{n}",
                 last_name="姓", first_name=f"名{n}", industry="IT")
            for n in range(leads)
        ]
    )  # fmt: skip
    return factories.make_lead_list(
        tenant, name="IT", filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]}
    )


def caught_recipients(maildir: Path) -> Counter:
    """How often each address is in the catcher's Maildir (headers only: thousands of mails in a second)."""
    parser = BytesHeaderParser()
    counts: Counter = Counter()
    for path in [*maildir.joinpath("new").iterdir(), *maildir.joinpath("cur").iterdir()]:
        with path.open("rb") as file:
            counts[parseaddr(parser.parse(file)["To"])[1]] += 1
    return counts


def finished(campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED)


def test_send_now_goes_through_the_worker_to_every_recipient(celery_worker, mail_catcher, tenant_a, bob):
    lead_list = ready_tenant(tenant_a, 30)
    campaign = make_campaign(tenant_a, bob, lead_list=lead_list, subject="{{CompanyName}}様")
    services.request_send(campaign)  # the snapshot and the batches run in the worker
    celery_worker.wait_until(lambda: finished(campaign), timeout=60)
    assert campaign.status == CampaignStatus.SENT and campaign.recipients_total == 30
    mails = mail_catcher.wait_for(30)
    assert sorted(parseaddr(mail.to)[1] for mail in mails) == sorted(f"p{n}@kaisha.example" for n in range(30))
    assert {mail.subject for mail in mails} == {f"会社{n}様" for n in range(30)}


def test_a_scheduled_campaign_is_started_by_the_beat_task_when_due(celery_worker, mail_catcher, tenant_a, bob):
    lead_list = ready_tenant(tenant_a, 3)
    campaign = make_campaign(tenant_a, bob, lead_list=lead_list)
    services.schedule_campaign(campaign, timezone.now() + timedelta(hours=1))
    tasks.start_due_campaigns.delay()
    time.sleep(1)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED  # not yet due: nothing happened
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    tasks.start_due_campaigns.delay()
    tasks.start_due_campaigns.delay()  # two beat runs: still one send
    celery_worker.wait_until(lambda: finished(campaign), timeout=60)
    assert len(mail_catcher.wait_for(3)) == 3
    time.sleep(0.5)
    assert mail_catcher.count() == 3


def test_a_small_campaign_of_another_tenant_is_not_held_back(
    start_celery_worker, mail_catcher, tenant_a, tenant_b, bob, charlie
):
    big = make_campaign(tenant_a, bob, lead_list=ready_tenant(tenant_a, 3000, rate=300))
    small = make_campaign(
        tenant_b, charlie, lead_list=ready_tenant(tenant_b, 10, domain="beta.example"), from_email="sales@alpha.example"
    )
    start_celery_worker(concurrency=2)
    services.request_send(big)
    time.sleep(1.5)  # tenant A is well into its 3,000 (about ten seconds at 300 mails/s)
    started = time.monotonic()
    services.request_send(small)
    while not finished(small):
        assert time.monotonic() - started < 8, "tenant B's 10 mails waited behind tenant A's campaign"
        time.sleep(0.1)
    remaining_a = Message.objects.filter(campaign=big, status=MessageStatus.PENDING).count()
    assert remaining_a > 0, "tenant A had already finished: the test proves nothing"
    assert Message.objects.filter(campaign=small, status=MessageStatus.SENT).count() == 10


@pytest.mark.worker_env(SENDING_RATE_PER_DOMAIN="100000", SENDING_BATCH_SIZE="100")
def test_a_worker_killed_mid_campaign_loses_nothing_and_sends_nothing_twice(
    start_celery_worker, mail_catcher, tenant_a, bob, settings
):
    settings.SENDING_CLAIM_TIMEOUT = settings.SENDING_HANDOVER_TIMEOUT = settings.SENDING_STALL_SECONDS = 2
    recipients = 5000
    campaign = make_campaign(tenant_a, bob, lead_list=ready_tenant(tenant_a, recipients))
    worker = start_celery_worker(concurrency=2)
    services.request_send(campaign)
    worker.wait_until(lambda: Message.objects.filter(campaign=campaign, status="sent").count() >= 1000, timeout=60)
    worker.kill()  # SIGKILL, mid-batch, both processes
    killed_at = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert killed_at["pending"] + killed_at["claimed"] > 0, "the campaign had finished before the kill"

    start_celery_worker(concurrency=2)
    deadline = time.monotonic() + 120
    while not finished(campaign):
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(2.2)
        tasks.sweep_stalled_sending()  # what beat runs every few seconds

    final = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    caught = caught_recipients(mail_catcher.directory)
    assert max(caught.values()) == 1, [address for address, n in caught.items() if n > 1]  # nobody got it twice
    unknown = set(Message.objects.filter(campaign=campaign, status="unknown").values_list("email", flat=True))
    everyone = {f"p{n}@kaisha.example" for n in range(recipients)}
    assert set(caught) | unknown == everyone  # none missing
    assert final["sent"] == len(set(caught) - unknown)
    assert final["unknown"] <= 2  # at most the one message each killed process was handing over
    assert final["sent"] + final["unknown"] == recipients
