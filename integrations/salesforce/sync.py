"""Recording sent mail in Salesforce (I1, C11), apart from sending: the send path never waits for it.

A run (the beat task, every 30 s) takes the connected tenants in turns, one batch each per turn, until no work is
left or its time is up. A batch is up to BATCH_SIZE sync records claimed for this run: failed records whose retry
time has come first, then sent messages of C11 campaigns that have no record yet (inserted as `sending`, so a
concurrent run skips them; Message rows are only read, never locked or written). For a batch:

1. the addresses are looked up in bulk: `SELECT Id, Email FROM Contact WHERE Email IN (...)` and the same for Leads
   that are not converted, one query per chunk of addresses (client.soql_in_chunks keeps each URL short enough);
2. the record to attach the Task to: a Contact before a Lead (the Contact is the converted, current person);
   among several, the lowest Id (the oldest record), so the choice is the same every time; the number of records
   with the address is kept (matched_records). No record: `unmatched`, final;
3. the Tasks are created through sObject Collections (200 per request, allOrNone false): each record is `recorded`
   with the Task's id or `failed` with Salesforce's message.

A failure of a whole call (sign-in refused, REQUEST_LIMIT_EXCEEDED, 5xx, network) fails the batch with Salesforce's
message and pauses the connection; both retry with back-off (services.backoff), a record at most MAX_ATTEMPTS
times. An expired session is renewed once inside the client first. Per-record errors are retried only when they are
temporary (UNABLE_TO_LOCK_ROW ...); the campaign page's "retry failed" makes any failed record due again.

Delivery is at least once: a run that dies after Salesforce created the Tasks but before the records were saved
leaves claims that are taken again after STALE_CLAIM, and those Tasks are created a second time.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant
from integrations.models import SalesforceCampaignState, SalesforceConnection, SalesforceSyncRecord, SyncStatus
from integrations.salesforce import encryption, selectors, services
from integrations.salesforce.activity import CampaignMail, task_fields
from integrations.salesforce.client import AuthenticationFailed, SalesforceClient, SalesforceError, error_text
from leads.addresses import normalize_email

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
RUN_SECONDS = 10.0  # a beat run stops starting batches after this; the next run goes on
STALE_CLAIM = timedelta(minutes=10)
TRANSIENT_RECORD_ERRORS = frozenset({"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG", "SERVER_UNAVAILABLE"})
LEAD_CONDITION = "IsConverted = false"  # a converted Lead takes no new activity

RECORD_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "claim",
    "claimed_at",
    "salesforce_task_id",
    "who_type",
    "who_id",
    "matched_records",
    "error",
    "error_code",
    "updated_at",
]


@dataclass(frozen=True)
class Match:
    who_type: str  # "Contact" or "Lead"
    who_id: str
    records: int  # Contacts and Leads with the address


def choose_matches(contacts: Sequence[dict], leads: Sequence[dict]) -> dict[str, Match]:
    """Normalized address -> the record its Task goes on: the first Contact by Id, else the first Lead by Id."""
    found: dict[str, dict[str, set[str]]] = {}
    for who_type, rows in (("Contact", contacts), ("Lead", leads)):
        for row in rows:
            if row.get("Email") and row.get("Id"):
                found.setdefault(normalize_email(row["Email"]), {}).setdefault(who_type, set()).add(row["Id"])
    matches = {}
    for email, by_type in found.items():
        who_type = "Contact" if by_type.get("Contact") else "Lead"
        matches[email] = Match(who_type, min(by_type[who_type]), sum(len(ids) for ids in by_type.values()))
    return matches


def claim_batch(tenant: Tenant, size: int = BATCH_SIZE) -> list[SalesforceSyncRecord]:
    """Up to `size` records claimed for this run: due retries first, then sent messages without a record."""
    now = timezone.now()
    claim = uuid.uuid4().hex
    due = selectors.due_record_ids(tenant, now, now - STALE_CLAIM, size)
    claimed = 0
    if due:  # compare-and-swap: a record another run took meanwhile no longer matches
        claimed = (
            SalesforceSyncRecord.objects.filter(pk__in=due)
            .filter(selectors.due_records_query(tenant, now, now - STALE_CLAIM))
            .update(status=SyncStatus.SENDING, claim=claim, claimed_at=now)
        )
    room = size - claimed
    for campaign in selectors.campaigns_to_sync(tenant) if room > 0 else ():
        message_ids = selectors.unrecorded_sent_message_ids(campaign, room)
        if not message_ids:
            if campaign.outcome_counts:  # finished before the look: no message can become sent any more
                SalesforceCampaignState.objects.get_or_create(campaign=campaign, defaults={"tenant": tenant})
            continue
        new = [
            SalesforceSyncRecord(
                tenant=tenant,
                campaign=campaign,
                message_id=message_id,
                status=SyncStatus.SENDING,
                claim=claim,
                claimed_at=now,
            )
            for message_id in message_ids
        ]
        SalesforceSyncRecord.objects.bulk_create(new, ignore_conflicts=True)  # another run's claim wins
        room -= len(message_ids)
        if room <= 0:
            break
    records = SalesforceSyncRecord.objects.filter(status=SyncStatus.SENDING, claim=claim)
    return list(records.select_related("message__lead", "campaign__tenant").order_by("pk"))


def record_batch(client: SalesforceClient, records: Sequence[SalesforceSyncRecord]) -> Counter:
    """Look the addresses up, create the Tasks, save every record's outcome. SalesforceError: nothing saved."""
    emails = sorted({record.message.email_normalized for record in records})
    contacts = client.find_by_email("Contact", emails)
    leads = client.find_by_email("Lead", emails, condition=LEAD_CONDITION)
    matches = choose_matches(contacts, leads)
    mails: dict[int, CampaignMail] = {}
    to_create: list[tuple[SalesforceSyncRecord, Match, dict]] = []
    for record in records:
        match = matches.get(record.message.email_normalized)
        if match is not None:
            if record.campaign_id not in mails:
                mails[record.campaign_id] = CampaignMail(record.campaign)
            to_create.append((record, match, task_fields(mails[record.campaign_id], record.message, match.who_id)))
    results = client.create_records([fields for _record, _match, fields in to_create]) if to_create else []

    now = timezone.now()
    outcome: Counter = Counter()
    result_of = {
        record.pk: (match, result) for (record, match, _fields), result in zip(to_create, results, strict=True)
    }
    for record in records:
        record.attempts += 1
        record.claim = ""
        record.error = record.error_code = ""
        record.next_attempt_at = None
        if record.pk not in result_of:
            record.status = SyncStatus.UNMATCHED
            record.who_type = record.who_id = record.salesforce_task_id = ""
            record.matched_records = 0
        else:
            match, result = result_of[record.pk]
            record.who_type, record.who_id, record.matched_records = match.who_type, match.who_id, match.records
            if result.get("success") and result.get("id"):
                record.status = SyncStatus.RECORDED
                record.salesforce_task_id = str(result["id"])
            else:
                record.status = SyncStatus.FAILED
                record.error, record.error_code = error_text(result.get("errors") or [], None)
                if record.error_code in TRANSIENT_RECORD_ERRORS and record.attempts < services.MAX_ATTEMPTS:
                    record.next_attempt_at = now + services.backoff(record.attempts)
        outcome[record.status] += 1
    SalesforceSyncRecord.objects.bulk_update(records, RECORD_FIELDS)
    return outcome


def fail_batch(records: Sequence[SalesforceSyncRecord], error: SalesforceError, not_before: datetime) -> None:
    """The whole batch failed with this error: each record retries after its back-off, not before `not_before`."""
    now = timezone.now()
    for record in records:
        record.attempts += 1
        record.status = SyncStatus.FAILED
        record.claim = ""
        record.error, record.error_code = str(error), error.code
        retry_at = max(now + services.backoff(record.attempts), not_before)
        record.next_attempt_at = retry_at if record.attempts < services.MAX_ATTEMPTS else None
    SalesforceSyncRecord.objects.bulk_update(records, RECORD_FIELDS)


class ConnectionRun:
    """One tenant's part of a run: its connection, one client (one sign-in), its totals."""

    def __init__(self, connection: SalesforceConnection, batch_size: int):
        self.connection = connection
        self.batch_size = batch_size
        self.totals: Counter = Counter()
        try:
            self.client: SalesforceClient | None = services.client_for(connection)
        except encryption.UnreadableSecret:
            self.client = None

    def batch(self) -> bool:
        """One batch; True while there may be more to do in this run."""
        records = claim_batch(self.connection.tenant, self.batch_size)
        if not records:
            return False
        try:
            if self.client is None:
                raise AuthenticationFailed(
                    _("The saved credentials cannot be decrypted (the encryption key changed). Enter them again."),
                    code="UNREADABLE_CREDENTIALS",
                )
            self.totals.update(record_batch(self.client, records))
        except SalesforceError as error:
            with transaction.atomic():
                retry_at = services.record_connection_failure(self.connection, error)
                fail_batch(records, error, retry_at)
            self.totals[SyncStatus.FAILED] += len(records)
            logger.warning(
                "Salesforce sync of tenant %s paused until %s: %s", self.connection.tenant_id, retry_at, error
            )
            return False
        services.record_connection_success(self.connection)
        return len(records) >= self.batch_size


def run(*, seconds: float = RUN_SECONDS, batch_size: int = BATCH_SIZE, tenant_id: int | None = None) -> dict[str, int]:
    """Record what is due, tenants taking turns batch by batch, until nothing is left or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    connections = SalesforceConnection.objects.select_related("tenant").filter(
        pk__in=selectors.connections_ready_to_sync()
    )
    if tenant_id is not None:
        connections = connections.filter(tenant_id=tenant_id)
    runs = [ConnectionRun(connection, batch_size) for connection in connections.order_by("pk")]
    active = list(runs)
    try:
        while active:
            active = [connection_run for connection_run in active if connection_run.batch()]
            if time.monotonic() >= deadline:
                break
    finally:
        for connection_run in runs:
            if connection_run.client is not None:
                connection_run.client.close()
    totals: Counter = Counter()
    for connection_run in runs:
        totals.update(connection_run.totals)
    return dict(totals)
