"""The recipients of a campaign, fixed when sending starts (S1): one Message per deliverable address.

The list is evaluated once with the composer's own selector (classified_leads + sendable_q), so the
count a rep saw is the count that is sent. On PostgreSQL one INSERT ... SELECT DISTINCT ON writes
every row; elsewhere (SQLite in the embedded mode) chunks of bulk inserts do the same. The unique
constraint on (campaign, email_normalized) makes a second snapshot of the same campaign write nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import connection

from campaigns.models import Campaign, Message, MessageStatus
from campaigns.selectors import classified_leads, exclusion_counts, sendable_q

CHUNK = 5000
_MESSAGE_COLUMNS = (
    "tenant_id, campaign_id, lead_id, email, email_normalized, token, status, attempts, "
    "claim, provider_message_id, error, created_at"
)
# 128 bits as 32 hex characters, mixed from 2 x 122 bits of PostgreSQL's strong random source (gen_random_uuid)
_RANDOM_HEX_SQL = "md5(gen_random_uuid()::text || gen_random_uuid()::text)"


@dataclass(frozen=True)
class SnapshotResult:
    recipients: int
    exclusions: dict[str, int]


def take_snapshot(campaign: Campaign) -> SnapshotResult:
    """Write the campaign's messages and count who was left out and why (FilterError if the list broke)."""
    counts = exclusion_counts(campaign.lead_list)
    recipients = _insert_messages(campaign, classified_leads(campaign.lead_list).filter(sendable_q()))
    exclusions = {
        "suppressed": counts["suppressed"],
        "info": counts["info"],
        "invalid": counts["invalid"],
        # leads sharing an address with one already taken: counted here, never silently dropped
        "duplicate": max(0, counts["sendable"] - recipients),
    }
    return SnapshotResult(recipients, exclusions)


def _insert_messages(campaign: Campaign, sendable_leads) -> int:
    # the newest lead with an address is the one whose name fills the merge tags
    ordered = sendable_leads.order_by("email_normalized", "-created_at", "-id")
    if connection.vendor == "postgresql":
        return _insert_with_one_statement(campaign, ordered)
    return _insert_in_chunks(campaign, ordered)


def _insert_with_one_statement(campaign: Campaign, ordered) -> int:
    one_per_address = ordered.distinct("email_normalized").values_list("id", "email", "email_normalized")
    select_sql, params = one_per_address.query.sql_with_params()
    table = Message._meta.db_table
    # our table name and Django's compiled SELECT; every value is a parameter
    sql = (
        f"INSERT INTO {table} ({_MESSAGE_COLUMNS}) "  # noqa: S608
        f"SELECT %s, %s, s.id, s.email, s.email_normalized, {_RANDOM_HEX_SQL}, %s, 0, '', '', '', now() "
        f"FROM ({select_sql}) AS s(id, email, email_normalized) "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        # DISTINCT ON sorts every sendable lead: in memory rather than in temporary files on disk
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(sql, [campaign.tenant_id, campaign.pk, MessageStatus.PENDING, *params])
        return cursor.rowcount


def _insert_in_chunks(campaign: Campaign, ordered) -> int:
    inserted = 0
    previous_address = None
    chunk: list[Message] = []
    for lead_id, email, address in ordered.values_list("id", "email", "email_normalized").iterator(CHUNK):
        if address == previous_address:
            continue
        previous_address = address
        chunk.append(_message(campaign, lead_id, email, address))
        if len(chunk) >= CHUNK:
            inserted += _bulk_insert(chunk)
            chunk = []
    return inserted + _bulk_insert(chunk)


def _message(campaign: Campaign, lead_id: int, email: str, address: str) -> Message:
    return Message(
        tenant_id=campaign.tenant_id,
        campaign=campaign,
        lead_id=lead_id,
        email=email,
        email_normalized=address,
        token=secrets.token_hex(16),
    )


def _bulk_insert(messages: list[Message]) -> int:
    if not messages:
        return 0
    campaign = messages[0].campaign
    before = Message.objects.filter(campaign=campaign).count()
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    return Message.objects.filter(campaign=campaign).count() - before
