"""The recipients of a campaign, fixed when sending starts (S1): one Message per deliverable address.

The list is evaluated once with the composer's own selector (classified_leads + sendable_q), so the
count a rep saw is the count that is sent. On PostgreSQL one INSERT ... SELECT DISTINCT ON writes
every row; elsewhere (SQLite in the embedded mode) chunks of bulk inserts do the same. The snapshot
runs once per campaign (services.start_sending holds the campaign's row and checks its status); the
unique constraint on (campaign, email_normalized) would refuse a second one whole. The INSERT has no
ON CONFLICT clause: speculative insertion cost a sixth of a million-row snapshot and never had a
conflict to resolve.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models.functions import Collate

from campaigns.models import Campaign, Message, MessageStatus
from campaigns.selectors import classified_leads, exclusion_counts, sendable_q

CHUNK = 5000
_MESSAGE_COLUMNS = (
    "tenant_id, campaign_id, lead_id, email, email_normalized, token, status, attempts, "
    "claim, provider_message_id, error, created_at"
)
# A token is 44 hex characters: 12 of the time of writing in milliseconds, then 128 bits, the first half of
# SHA-256(key, lead id), the key 256 random bits drawn for this snapshot alone and never stored. The 128 bits
# make it unguessable: without the key no token can be told from any other, and every lead appears once per
# snapshot. The time in front makes new tokens arrive at the right edge of the token index, like the primary
# key's, instead of at random pages all over it: a random token's index writes were a third of a
# million-row snapshot, and drawing from PostgreSQL's strong random source per row another quarter.
_TIME_AND_KEYED_HASH = (
    "lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || "
    "encode(substring(sha256(%s::bytea || int8send(s.id::bigint)) from 1 for 16), 'hex')"
)


def new_token() -> str:
    """A token as the snapshot's SQL writes them, made in Python (the embedded mode's SQLite)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(16)}"


@dataclass(frozen=True)
class SnapshotResult:
    recipients: int
    exclusions: dict[str, int]


def take_snapshot(campaign: Campaign) -> SnapshotResult:
    """Write the campaign's messages and count who was left out and why (FilterError if the list broke)."""
    counts = exclusion_counts(campaign.lead_list)
    recipients = _insert_messages(campaign, classified_leads(campaign.lead_list).filter(sendable_q(campaign.tenant_id)))
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
    if connection.vendor == "postgresql":
        return _insert_with_one_statement(campaign, sendable_leads)
    return _insert_in_chunks(campaign, sendable_leads.order_by("email_normalized", "-created_at", "-id"))


def _insert_with_one_statement(campaign: Campaign, sendable_leads) -> int:
    # DISTINCT ON only needs equal addresses side by side: byte order ("C") sorts a million of them in a
    # third of the time the database's language-aware collation takes
    by_address = sendable_leads.annotate(address_bytes=Collate("email_normalized", "C"))
    ordered = by_address.order_by("address_bytes", "-created_at", "-id").distinct("address_bytes")
    one_per_address = ordered.values_list("id", "email", "email_normalized", "address_bytes")
    select_sql, params = one_per_address.query.sql_with_params()
    table = Message._meta.db_table
    # our table name and Django's compiled SELECT; every value is a parameter
    sql = (
        f"INSERT INTO {table} ({_MESSAGE_COLUMNS}) "  # noqa: S608
        f"SELECT %s, %s, s.id, s.email, s.email_normalized, {_TIME_AND_KEYED_HASH}, %s, 0, '', '', '', now() "
        f"FROM ({select_sql}) AS s(id, email, email_normalized, address_bytes)"
    )
    with connection.cursor() as cursor:
        # DISTINCT ON sorts every sendable lead: in memory rather than in temporary files on disk
        cursor.execute("SET LOCAL work_mem = '256MB'")
        token_key = secrets.token_bytes(32)
        cursor.execute(sql, [campaign.tenant_id, campaign.pk, token_key, MessageStatus.PENDING, *params])
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
        token=new_token(),
    )


def _bulk_insert(messages: list[Message]) -> int:
    if not messages:
        return 0
    campaign = messages[0].campaign
    before = Message.objects.filter(campaign=campaign).count()
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    return Message.objects.filter(campaign=campaign).count() - before
