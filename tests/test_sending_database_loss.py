"""The database goes away in the middle of a batch: no mail is sent twice, none is lost.

A batch's per-mail writes skip PostgreSQL's WAL flush (campaigns/delivery.py says why), so a database
crash may forget them. Here a mail provider double does what such a crash does to the worker, half-way
through a batch: from another connection it puts the batch's handed-over messages back as they were
before their writes (what a crash that lost those writes leaves), then cuts the worker's connections.
The worker must write what it handed over again, put the rest back to pending, and the campaign must
finish with every recipient sent exactly once.
"""

from __future__ import annotations

from collections import Counter

import psycopg2
import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from campaigns import delivery, overlapped_statements, services
from campaigns.models import CampaignStatus, Message, MessageStatus
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 30
CUT_AFTER = 7  # mails of the first batch handed over before the database goes


class DatabaseCuttingBackend(BaseEmailBackend):
    """Accepts every mail; after the CUT_AFTER-th, forgets the batch's writes and cuts the worker's connections."""

    received: list[str] = []
    cut = False

    def send_messages(self, email_messages) -> int:
        for email in email_messages:
            type(self).received.extend(email.to)
            if len(self.received) == CUT_AFTER and not type(self).cut:
                type(self).cut = True
                _forget_the_batch_and_cut_the_worker(email.to[0])
        return len(email_messages)


def _forget_the_batch_and_cut_the_worker(address: str) -> None:
    claim = Message.objects.get(email=address).claim  # read before the cut, on the worker's own connection
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], host=settings["HOST"], user=settings["USER"], port=settings["PORT"]
    )
    other.autocommit = True
    with other.cursor() as cursor:
        # what a crash that lost the batch's unflushed writes leaves: its handed-over mails look untouched
        cursor.execute(
            "UPDATE campaigns_message SET status = 'claimed', claim = %s, sent_at = NULL, delivered_at = NULL, "
            "provider_message_id = '' WHERE email = ANY(%s)",
            [claim, DatabaseCuttingBackend.received],
        )
        # both of the worker's connections: Django's, and the one its per-mail writes go over
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    other.close()


@pytest.fixture
def cutting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.DatabaseCuttingBackend"
    settings.SENDING_BATCH_SIZE = 20
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    DatabaseCuttingBackend.received = []
    DatabaseCuttingBackend.cut = False
    return DatabaseCuttingBackend


def sending_campaign(tenant, owner, recipients: int):
    """A started campaign to `recipients` leads (p0@ ... of one company), its batches not yet sent."""
    make_ready_to_send(tenant)
    tenant.send_rate_per_second = 1000
    tenant.save()
    for n in range(recipients):
        factories.make_lead(tenant, email=f"p{n}@kaisha.example", industry="IT")
    lead_list = factories.make_lead_list(
        tenant, name="IT", filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]}
    )
    campaign = make_campaign(tenant, owner, lead_list=lead_list)
    services.request_send(campaign)
    services.start_sending(campaign.pk)
    return campaign


def test_a_connection_lost_mid_batch_sends_nobody_twice_and_loses_nobody(tenant_a, bob, cutting_backend):
    campaign = sending_campaign(tenant_a, bob, RECIPIENTS)

    delivery.deliver_batch(campaign.pk)  # the cut happens in here, and the worker recovers

    assert cutting_backend.cut
    after_the_cut = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    # the handed-over mails are sent again in the database, the rest of the batch went back to pending
    assert after_the_cut == {MessageStatus.SENT: CUT_AFTER, MessageStatus.PENDING: RECIPIENTS - CUT_AFTER}

    run_until_idle(campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    received = Counter(cutting_backend.received)
    assert max(received.values()) == 1, [address for address, times in received.items() if times > 1]
    assert set(received) == {f"p{n}@kaisha.example" for n in range(RECIPIENTS)}
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.SENT).count() == RECIPIENTS
    assert not Message.objects.filter(campaign=campaign, sent_at__isnull=True).exists()


def test_a_dead_workers_claim_from_before_a_database_restart_is_never_sent_again(tenant_a, bob, settings):
    """The worker died too, so nobody knows what of its batch was handed over: unknown, never pending."""
    settings.SENDING_CLAIM_TIMEOUT = 1
    campaign = sending_campaign(tenant_a, bob, 3)
    _claim, messages = delivery.claim_batch(campaign, 3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        database_started_at = cursor.fetchone()[0]
    before_the_restart = database_started_at - timezone.timedelta(seconds=1)
    Message.objects.filter(pk__in=[messages[0].pk, messages[1].pk]).update(claimed_at=before_the_restart)
    Message.objects.filter(pk=messages[2].pk).update(claimed_at=timezone.now() - timezone.timedelta(seconds=5))

    assert delivery.sweep_stalled() == {"released": 1, "unknown": 2}
    by_status = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert by_status == {MessageStatus.UNKNOWN: 2, MessageStatus.PENDING: 1}
    assert "database restarted" in Message.objects.filter(status=MessageStatus.UNKNOWN).first().error


def test_a_database_error_that_persists_releases_the_batch_and_paces_the_chain(tenant_a, bob, settings, monkeypatch):
    """Not an outage: the per-mail write keeps failing while the database answers everything else. The batch
    goes back to pending, nothing is handed over, and the next batch waits instead of looping at once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign = sending_campaign(tenant_a, bob, 5)

    def refuse(asynchronous_connection):
        raise psycopg2.OperationalError("could not extend file: No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(overlapped_statements, "_wait_for", refuse)
        outcome = delivery.deliver_batch(campaign.pk)

    assert outcome.more_work and outcome.retry_in == delivery.AFTER_A_DATABASE_ERROR_SECONDS > 0
    assert Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        MessageStatus.PENDING: 5
    }
    assert mail.outbox == []
    run_until_idle(campaign)  # the error is gone: every recipient exactly once
    assert sorted(email.to[0] for email in mail.outbox) == [f"p{n}@kaisha.example" for n in range(5)]
