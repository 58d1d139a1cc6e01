"""Reads of the Salesforce integration (I1): the connection, what waits to be synced, a campaign's summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Tenant
from campaigns.models import Campaign, Message, MessageStatus
from integrations.models import SalesforceCampaignState, SalesforceConnection, SalesforceSyncRecord, SyncStatus
from integrations.salesforce.credentials import saved_secret_names

TOP_FAILURE_REASONS = 5


def connection_for(tenant: Tenant | None) -> SalesforceConnection | None:
    return SalesforceConnection.objects.for_tenant(tenant).first()


def is_connected(tenant: Tenant | None) -> bool:
    """Whether the composer offers C11 (record the send history in Salesforce)."""
    return SalesforceConnection.objects.for_tenant(tenant).exists()


def connections_ready_to_sync(now: datetime | None = None) -> list[int]:
    """Ids of the connections that are not pausing after a failure."""
    now = now or timezone.now()
    ready = SalesforceConnection.objects.filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
    return list(ready.order_by("pk").values_list("pk", flat=True))


def campaigns_to_sync(tenant: Tenant) -> list[Campaign]:
    """The tenant's campaigns asking for C11 whose sent mail may still lack a record, oldest first."""
    caught_up = SalesforceCampaignState.objects.filter(campaign=OuterRef("pk"))
    campaigns = Campaign.objects.for_tenant(tenant).filter(salesforce_sync=True, started_at__isnull=False)
    return list(campaigns.filter(~Exists(caught_up)).order_by("started_at", "pk"))


def unrecorded_sent_message_ids(campaign: Campaign, limit: int) -> list[int]:
    """Sent messages of the campaign without a sync record (its status index, then the record's unique index)."""
    recorded = SalesforceSyncRecord.objects.filter(message=OuterRef("pk"))
    messages = Message.objects.filter(campaign=campaign, status=MessageStatus.SENT).filter(~Exists(recorded))
    return list(messages.order_by("pk").values_list("pk", flat=True)[:limit])


def due_records_query(tenant: Tenant, now: datetime, stale_before: datetime) -> Q:
    """Records to try (again) now: failed ones whose time has come, and claims a crashed run left behind."""
    return Q(tenant=tenant) & (
        Q(status=SyncStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=SyncStatus.SENDING, claimed_at__lt=stale_before)
    )


def due_record_ids(tenant: Tenant, now: datetime, stale_before: datetime, limit: int) -> list[int]:
    records = SalesforceSyncRecord.objects.filter(due_records_query(tenant, now, stale_before))
    return list(records.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


@dataclass(frozen=True)
class FailureReason:
    reason: str
    count: int


@dataclass(frozen=True)
class SalesforceSummary:
    """What the campaign page shows of C11: messages recorded, without a match, failed, and still waiting."""

    campaign_id: int
    recorded: int
    unmatched: int
    failed: int
    in_progress: int
    waiting: int  # sent, no record yet
    retry_scheduled: int  # failed, with a next attempt planned
    failure_reasons: list[FailureReason] = field(default_factory=list)
    connected: bool = True
    connection_error: str = ""
    paused_until: datetime | None = None

    @property
    def can_retry(self) -> bool:
        return self.failed > 0


def salesforce_summary(campaign: Campaign) -> SalesforceSummary | None:
    """Counts per sync status and the most frequent failure reasons; None when the campaign does not ask for C11."""
    if not campaign.salesforce_sync:
        return None
    records = SalesforceSyncRecord.objects.filter(campaign=campaign)
    counts = dict(records.values_list("status").annotate(n=Count("id")).order_by())
    failed = records.filter(status=SyncStatus.FAILED)
    reasons = failed.values("error").annotate(n=Count("id")).order_by("-n", "error")[:TOP_FAILURE_REASONS]
    retry_scheduled = failed.filter(next_attempt_at__isnull=False).count() if counts.get(SyncStatus.FAILED) else 0
    if campaign.outcome_counts:  # finished: the number of sent messages is stored
        sent = campaign.outcome_counts.get(MessageStatus.SENT, 0)
    else:
        sent = Message.objects.filter(campaign=campaign, status=MessageStatus.SENT).count()
    connection = connection_for(campaign.tenant)
    return SalesforceSummary(
        campaign_id=campaign.pk,
        recorded=counts.get(SyncStatus.RECORDED, 0),
        unmatched=counts.get(SyncStatus.UNMATCHED, 0),
        failed=counts.get(SyncStatus.FAILED, 0),
        in_progress=counts.get(SyncStatus.SENDING, 0),
        waiting=max(sent - sum(counts.values()), 0),
        retry_scheduled=retry_scheduled,
        failure_reasons=[FailureReason(row["error"], row["n"]) for row in reasons],
        connected=connection is not None,
        connection_error=connection.last_error if connection is not None else "",
        paused_until=connection.paused_until if connection is not None else None,
    )


@dataclass(frozen=True)
class ConnectionStatus:
    """The settings screen's view of a connection: never a secret, only whether each one is saved."""

    connection: SalesforceConnection
    saved_secrets: frozenset[str]
    credentials_unreadable: bool
    paused: bool


def connection_status(tenant: Tenant) -> ConnectionStatus | None:
    connection = connection_for(tenant)
    if connection is None:
        return None
    names, unreadable = saved_secret_names(connection)
    paused = connection.paused_until is not None and connection.paused_until > timezone.now()
    return ConnectionStatus(connection, names, unreadable, paused)
