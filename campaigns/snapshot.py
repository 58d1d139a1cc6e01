"""The recipients of a campaign, fixed when sending starts (S1): one Message per deliverable address.

The list is evaluated once with the composer's own selector (classified_leads + sendable_q), so the
count a rep saw is the count that is sent. On PostgreSQL one statement reads and classifies the list's
leads once, counts the exclusions and writes every row (INSERT ... SELECT DISTINCT ON); elsewhere
(SQLite in the embedded mode) a count and chunks of bulk inserts do the same. The snapshot
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

from campaigns.models import Campaign, Message, MessageStatus
from campaigns.selectors import (
    classified_leads,
    counts_by_name,
    exclusion_counts,
    exclusion_counts_sql,
    leads_with_exclusion_reasons,
    sendable_q,
)

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
    if connection.vendor == "postgresql":
        counts, recipients = _count_and_insert_in_one_statement(campaign)
    else:
        counts = exclusion_counts(campaign.lead_list)
        sendable = classified_leads(campaign.lead_list).filter(sendable_q(campaign.tenant_id))
        # the newest lead with an address is the one whose name fills the merge tags
        recipients = _insert_in_chunks(campaign, sendable.order_by("email_normalized", "-created_at", "-id"))
    exclusions = {
        "suppressed": counts["suppressed"],
        "info": counts["info"],
        "invalid": counts["invalid"],
        # leads sharing an address with one already taken: counted here, never silently dropped
        "duplicate": max(0, counts["sendable"] - recipients),
    }
    return SnapshotResult(recipients, exclusions)


# The list's leads are read and classified once, into a CTE that both the counts and the INSERT read.
# DISTINCT ON only needs equal addresses side by side: byte order ("C") sorts a million of them in a third of
# the time the database's language-aware collation takes. The newest lead with an address is the one whose
# name fills the merge tags.
_COUNT_AND_INSERT_SQL = """
WITH classified AS MATERIALIZED ({classified}),
inserted AS (
    INSERT INTO {table} ({columns})
    SELECT %s, %s, s.id, s.email, s.email_normalized, {token}, %s, 0, '', '', '', now()
    FROM (
        SELECT DISTINCT ON (email_normalized COLLATE "C") id, email, email_normalized
        FROM classified
        WHERE deliverable AND NOT suppressed AND NOT info
        ORDER BY email_normalized COLLATE "C", created_at DESC, id DESC
    ) AS s
    RETURNING 1
)
{counts}
"""


def count_and_insert_statement(campaign: Campaign) -> tuple[str, list]:
    """The snapshot's one statement on PostgreSQL and its parameters (the benchmark EXPLAINs it too)."""
    classified = leads_with_exclusion_reasons(campaign.lead_list).values(
        "id", "email", "email_normalized", "created_at", "deliverable", "suppressed", "info"
    )
    classified_sql, params = classified.query.sql_with_params()
    # our table name, Django's compiled SELECT and our fixed SQL; every value is a parameter
    sql = _COUNT_AND_INSERT_SQL.format(
        classified=classified_sql,
        table=Message._meta.db_table,
        columns=_MESSAGE_COLUMNS,
        token=_TIME_AND_KEYED_HASH,
        counts=exclusion_counts_sql("SELECT * FROM classified", "(SELECT count(*) FROM inserted)"),
    )
    token_key = secrets.token_bytes(32)
    return sql, [*params, campaign.tenant_id, campaign.pk, token_key, MessageStatus.PENDING]


def _count_and_insert_in_one_statement(campaign: Campaign) -> tuple[dict[str, int], int]:
    sql, params = count_and_insert_statement(campaign)
    with connection.cursor() as cursor:
        # the classified leads and the sort of the sendable ones: in memory rather than in temporary files
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(sql, params)
        counts = counts_by_name(cursor.fetchone())
    return counts, counts["recipients"]


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
