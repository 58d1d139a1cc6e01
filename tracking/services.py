"""Recording what recipients and providers did (K1–K5): the raw event, first-time timestamps, counters.

Every service writes in one transaction: the Event row, the Message's first-time timestamp (an
UPDATE ... WHERE <field> IS NULL, so only one request ever wins it) and, when it won, the campaign's
counters. Figures therefore always agree with the timestamps, also under concurrent requests.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaigns.models import Message
from campaigns.tracking_links import HONEYPOT_LINK_NUMBER
from leads.models import SuppressionReason
from leads.services import suppress_address
from tracking.machine_activity import RequestFacts, click_machine_reason, open_machine_reason
from tracking.models import COUNTER_SHARDS, CampaignActivity, Event, EventKind, LinkActivity
from tracking.selectors import TrackedMessage, earlier_clicks, tracked_message

ACTIVITY_COUNTERS = frozenset(
    f.name for f in CampaignActivity._meta.get_fields() if f.name not in {"id", "campaign", "hour", "shard"}
)


def _first_time(message_id: int, field: str, at: datetime) -> bool:
    """Set the message's first-time timestamp; True only for the one call that set it."""
    return Message.objects.filter(pk=message_id, **{f"{field}__isnull": True}).update(**{field: at}) == 1


def _upsert_increment(table: str, key: dict[str, object], increments: dict[str, int]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE adding to the counters (PostgreSQL and SQLite alike)."""
    columns = [*key, *increments]
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in increments)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key.values(), *increments.values()])


def count_activity(campaign_id: int, message_id: int, at: datetime, **increments: int) -> None:
    """Add first-time results to the campaign's counters for the hour they happened in."""
    unknown = set(increments) - ACTIVITY_COUNTERS
    if unknown:
        raise ValueError(f"not a campaign counter: {', '.join(sorted(unknown))}")
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    key = {"campaign_id": campaign_id, "hour": hour, "shard": message_id % COUNTER_SHARDS}
    _upsert_increment(CampaignActivity._meta.db_table, key, increments)


def _count_link(message: TrackedMessage, link_number: int, *, unique: bool) -> None:
    key = {"campaign_id": message.campaign_id, "link_number": link_number, "shard": message.id % COUNTER_SHARDS}
    _upsert_increment(LinkActivity._meta.db_table, key, {"clicks": 1, "unique_clicks": int(unique)})


def _event(message: TrackedMessage, kind: str, facts: RequestFacts, at: datetime, **fields) -> Event:
    return Event.objects.create(
        tenant_id=message.tenant_id,
        campaign_id=message.campaign_id,
        message_id=message.id,
        kind=kind,
        user_agent=facts.user_agent,
        ip=facts.ip,
        occurred_at=at,
        **fields,
    )


def record_open(message: TrackedMessage, facts: RequestFacts) -> Event:
    """K1: the open pixel was fetched."""
    now = timezone.now()
    reason = open_machine_reason(facts, sent_at=message.sent_at, now=now)
    with transaction.atomic():
        event = _event(message, EventKind.OPENED, facts, now, machine=bool(reason), machine_reason=reason)
        if reason:
            if _first_time(message.id, "machine_opened_at", now):
                count_activity(message.campaign_id, message.id, now, machine_opened=1)
        elif _first_time(message.id, "opened_at", now):
            count_activity(message.campaign_id, message.id, now, opened=1)
    return event


def link_destination(message: TrackedMessage, link_number: int) -> str | None:
    """Where link n of this message's campaign leads; None when the campaign has no such link (K2)."""
    if not 1 <= link_number <= len(message.link_urls):
        return None
    url = message.link_urls[link_number - 1]
    return url if url.lower().startswith(("http://", "https://")) else None


def record_click(token: str, link_number: int, facts: RequestFacts) -> tuple[TrackedMessage, str | None] | None:
    """K2: a tracked link was followed. None (nothing recorded) for an unknown token or link number;
    otherwise the message and the destination (None for the honeypot link, which leads nowhere)."""
    with transaction.atomic():
        # the message row is locked so that concurrent clicks of one recipient are classified in order
        message = tracked_message(token, for_update=True)
        if message is None:
            return None
        destination = link_destination(message, link_number)
        if destination is None and link_number != HONEYPOT_LINK_NUMBER:
            return None
        now = timezone.now()
        earlier = earlier_clicks(message.id)
        reason = click_machine_reason(
            facts, link_number=link_number, sent_at=message.sent_at, earlier_clicks=earlier, now=now
        )
        machine = {"machine": bool(reason), "machine_reason": reason}
        _event(message, EventKind.CLICKED, facts, now, link_number=link_number, **machine)
        if reason:
            if _first_time(message.id, "machine_clicked_at", now):
                count_activity(message.campaign_id, message.id, now, machine_clicked=1)
            return message, destination
        first_click = _first_time(message.id, "clicked_at", now)
        first_open = _first_time(message.id, "opened_at", now)  # a click is an open too (K2)
        if first_click or first_open:
            count_activity(message.campaign_id, message.id, now, clicked=int(first_click), opened=int(first_open))
        clicked_this_link_before = any(c.link_number == link_number and not c.machine for c in earlier)
        _count_link(message, link_number, unique=not clicked_this_link_before)
    return message, destination


@transaction.atomic
def unsubscribe(message: Message, facts: RequestFacts) -> bool:
    """K3/L5: the address goes on the tenant's suppression list. Idempotent; True the first time."""
    suppress_address(
        tenant=message.tenant,
        email=message.email,
        reason=SuppressionReason.UNSUBSCRIBED,
        source=f"campaign:{message.campaign_id}",
    )
    now = timezone.now()
    if not _first_time(message.pk, "unsubscribed_at", now):
        return False
    tracked = TrackedMessage(message.pk, message.tenant_id, message.campaign_id, message.email, message.sent_at, ())
    _event(tracked, EventKind.UNSUBSCRIBED, facts, now)
    count_activity(message.campaign_id, message.pk, now, unsubscribed=1)
    return True


# Provider events (K4)

# first-time timestamp, counter and suppression reason per event kind; deferred is only recorded
_PROVIDER_EFFECTS: dict[str, tuple[str, str, str]] = {
    EventKind.DELIVERED: ("delivered_at", "delivered", ""),
    EventKind.BOUNCED: ("bounced_at", "bounced", SuppressionReason.HARD_BOUNCE),
    EventKind.REJECTED: ("bounced_at", "bounced", ""),
    EventKind.COMPLAINED: ("complained_at", "complained", SuppressionReason.COMPLAINT),
    EventKind.UNSUBSCRIBED: ("unsubscribed_at", "unsubscribed", SuppressionReason.UNSUBSCRIBED),
}


def record_provider_event(
    *, provider_message_id: str, kind: str, event_id: str, at: datetime | None, detail: str = ""
) -> Event | None:
    """One provider event for the message it names; None when the message is unknown or the event
    was recorded before (same event id)."""
    message = (
        Message.objects.select_related("tenant")
        .filter(provider_message_id=provider_message_id)
        .exclude(provider_message_id="")
        .first()
    )
    if message is None:
        return None
    at = at or timezone.now()
    tracked = TrackedMessage(message.pk, message.tenant_id, message.campaign_id, message.email, message.sent_at, ())
    try:
        with transaction.atomic():
            event = _event(
                tracked, kind, RequestFacts("", "", None), at, provider_event_id=event_id[:255], detail=detail[:2000]
            )
            _apply_provider_effects(message, kind, at)
    except IntegrityError:  # the same event id again: recorded once
        return None
    return event


def _apply_provider_effects(message: Message, kind: str, at: datetime) -> None:
    if kind not in _PROVIDER_EFFECTS:
        return
    field, counter, suppression_reason = _PROVIDER_EFFECTS[kind]
    if suppression_reason:
        suppress_address(
            tenant=message.tenant,
            email=message.email,
            reason=suppression_reason,
            source=f"campaign:{message.campaign_id}",
        )
    if _first_time(message.pk, field, at):
        count_activity(message.campaign_id, message.pk, at, **{counter: 1})
