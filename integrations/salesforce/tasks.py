"""Celery tasks of the Salesforce sync (I1): thin, by id, safe to run twice (claims keep runs apart)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from integrations.salesforce import sync


@shared_task(name="integrations.sync_salesforce")
def sync_salesforce() -> dict[str, int]:
    """Beat, every 30 s: every connected tenant's due records, for at most sync.RUN_SECONDS."""
    return sync.run()


@shared_task(name="integrations.sync_salesforce_tenant")
def sync_salesforce_tenant(tenant_id: int) -> dict[str, int]:
    """One tenant at once (after "retry failed"), instead of waiting for the beat."""
    return sync.run(tenant_id=tenant_id)


def sync_tenant_on_commit(tenant_id: int) -> None:
    transaction.on_commit(lambda: sync_salesforce_tenant.delay(tenant_id))
