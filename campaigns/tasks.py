"""Celery tasks of the send path: thin wrappers that take ids and are safe to run twice (S5)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from campaigns import delivery, services

# Redis' visibility timeout redelivers unacknowledged tasks after an hour; no countdown comes near it
MAX_COUNTDOWN = 60


@shared_task(name="campaigns.start_campaign")
def start_campaign(campaign_id: int) -> None:
    """Snapshot and fan out; a second call for the same campaign does nothing."""
    services.start_sending(campaign_id)


@shared_task(name="campaigns.send_batch")
def send_batch(campaign_id: int) -> None:
    outcome = delivery.deliver_batch(campaign_id)
    if outcome.more_work:
        send_batch.apply_async((campaign_id,), countdown=min(outcome.retry_in, MAX_COUNTDOWN) or None)


@shared_task(name="campaigns.start_due_campaigns")
def start_due_campaigns() -> int:
    """Beat, every few seconds: scheduled campaigns whose time has come, and requests whose task was lost."""
    started = 0
    for campaign_id in services.campaigns_due_to_start():
        services.start_sending(campaign_id)
        started += 1
    return started


@shared_task(name="campaigns.sweep_stalled_sending")
def sweep_stalled_sending() -> dict[str, int]:
    """Beat: dead workers' claims and hand-overs, and campaigns whose chain of batches was lost."""
    result = delivery.sweep_stalled()
    for campaign_id in delivery.stalled_campaign_ids():
        fan_out(campaign_id)
        delivery.finish_if_done(campaign_id)
    # a cancel while a dead worker was handing a mail over: counted once that mail became unknown above
    for campaign_id in delivery.uncounted_cancelled_ids():
        delivery.finish_if_done(campaign_id)
    return result


def fan_out(campaign_id: int) -> None:
    """Several chains of batches per campaign; every batch queues its successor while work remains."""
    for _chain in range(settings.SENDING_PARALLEL_BATCHES):
        send_batch.delay(campaign_id)


def fan_out_on_commit(campaign_id: int) -> None:
    transaction.on_commit(lambda: fan_out(campaign_id))


def start_on_commit(campaign_id: int) -> None:
    transaction.on_commit(lambda: start_campaign.delay(campaign_id))
