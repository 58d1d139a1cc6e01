"""Reads of the public tracking endpoints: a message found by its token, and no other way (K1–K3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model

from campaigns.models import Campaign, Message, MessageStatus
from config.prepared_statements import PreparedStatement, run_prepared
from tracking.machine_activity import EarlierClick
from tracking.models import Event, EventKind

_TOKEN = re.compile(r"(?:[0-9a-f]{12})?[0-9a-f]{32}")  # campaigns.snapshot; the 12 in front since 2026-11-27
# a mail that may have reached its recipient; a token of any other message tracks nothing
TRACKABLE_STATUSES = (MessageStatus.SENT, MessageStatus.UNKNOWN)


@dataclass(frozen=True)
class TrackedMessage:
    id: int
    tenant_id: int
    campaign_id: int
    email: str
    sent_at: datetime | None
    link_urls: tuple[str, ...] = ()
    lead_id: int | None = None
    owner_id: int | None = None  # the campaign's owner, notified of opens and clicks when they asked (N1)
    notify_open: bool = False
    notify_click: bool = False

    @classmethod
    def of(cls, message: Message) -> TrackedMessage:
        return cls(message.pk, message.tenant_id, message.campaign_id, message.email, message.sent_at)


_MESSAGE_COLUMNS = ("id", "tenant_id", "campaign_id", "email", "sent_at", "lead_id")
_CAMPAIGN_COLUMNS = ("link_urls", "owner_id", "notify_open", "notify_click")


def _columns(model: type[Model], alias: str, names: tuple[str, ...]) -> list[str]:
    return [f"{alias}.{model._meta.get_field(name).column}" for name in names]


# Written out, not built by the ORM: compiling the query cost more CPU than everything else an open does;
# prepared once per connection: planning it cost PostgreSQL more than running it (bench_tracking_load).
# The same SQL runs on PostgreSQL and SQLite.
_TRACKED_MESSAGE_SQL = (
    f"SELECT {', '.join(_columns(Message, 'm', _MESSAGE_COLUMNS) + _columns(Campaign, 'c', _CAMPAIGN_COLUMNS))} "  # noqa: S608
    f"FROM {Message._meta.db_table} m JOIN {Campaign._meta.db_table} c ON c.id = m.campaign_id "
    f"WHERE m.token = %s AND m.status IN ({', '.join(['%s'] * len(TRACKABLE_STATUSES))})"
)
_TRACKED_MESSAGE = PreparedStatement("tracked_message", _TRACKED_MESSAGE_SQL)
_TRACKED_MESSAGE_LOCKED = PreparedStatement("tracked_message_locked", f"{_TRACKED_MESSAGE_SQL} FOR UPDATE OF m")


def _from_database(model: type[Model], name: str, value: Any) -> Any:
    """A raw column value as the ORM would give it (the JSON list decoded, SQLite's datetime made aware)."""
    field = model._meta.get_field(name)
    expression = field.get_col(model._meta.db_table)
    for converter in connection.ops.get_db_converters(expression) + field.get_db_converters(connection):
        value = converter(value, expression, connection)
    return value


def tracked_message(token: str, *, for_update: bool = False) -> TrackedMessage | None:
    """The sent message a token names; None for a malformed, unknown or unsent one (no query if malformed).
    With for_update the message row (not its campaign's) stays locked to the end of the transaction."""
    if not _TOKEN.fullmatch(token):
        return None
    locked = for_update and connection.features.has_select_for_update
    with connection.cursor() as cursor:
        run_prepared(cursor, _TRACKED_MESSAGE_LOCKED if locked else _TRACKED_MESSAGE, [token, *TRACKABLE_STATUSES])
        row = cursor.fetchone()
    if row is None:
        return None
    message_id, tenant_id, campaign_id, email, sent_at, lead_id, link_urls, owner_id, notify_open, notify_click = row
    return TrackedMessage(
        message_id,
        tenant_id,
        campaign_id,
        email,
        _from_database(Message, "sent_at", sent_at),
        tuple(_from_database(Campaign, "link_urls", link_urls) or ()),
        lead_id,
        owner_id,
        bool(notify_open),
        bool(notify_click),
    )


# Not prepared: after a few runs PostgreSQL keeps a prepared statement's generic plan, made from the statistics of
# that moment. For the unique token (tracked_message) that is always the index; here, planned while the event
# table was nearly empty, it was a sequential scan kept while the table grew (clicks cost PostgreSQL 0.54 ms with
# one client, 1.24 ms under bench_tracking_load's load).
_EARLIER_CLICKS_SQL = (
    f"SELECT link_number, occurred_at, machine FROM {Event._meta.db_table} "  # noqa: S608
    "WHERE message_id = %s AND kind = %s"
)


def earlier_clicks(message_id: int) -> list[EarlierClick]:
    """The message's clicks so far, machine ones included (written out for the reason tracked_message is)."""
    with connection.cursor() as cursor:
        cursor.execute(_EARLIER_CLICKS_SQL, [message_id, EventKind.CLICKED])
        rows = cursor.fetchall()
    return [
        EarlierClick(link_number or 0, _from_database(Event, "occurred_at", at), bool(machine))
        for link_number, at, machine in rows
    ]


def message_for_unsubscribe(token: str) -> Message | None:
    """The message with its tenant and campaign, for the unsubscribe page (not the hot path)."""
    if not _TOKEN.fullmatch(token):
        return None
    return (
        Message.objects.select_related("tenant", "campaign").filter(token=token, status__in=TRACKABLE_STATUSES).first()
    )
