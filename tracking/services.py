"""Recording what recipients and providers did (K1–K5): the raw event, first-time timestamps, counters.

Every result is written atomically by tracking.result_writes (one statement on PostgreSQL): the
Event row, the Message's first-time timestamps (only the request that finds one empty sets it) and,
for each it set, the campaign's counter. Figures therefore always agree with the timestamps, also
under concurrent requests.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Message
from campaigns.tracking_links import HONEYPOT_LINK_NUMBER
from leads.models import SuppressionReason
from leads.services import suppress_address
from notifications.models import NotificationKind
from tracking.machine_activity import RequestFacts, click_machine_reason, open_machine_reason
from tracking.models import EventKind
from tracking.result_writes import EventFacts, ResultWrite, storable_text
from tracking.selectors import TrackedMessage, earlier_clicks, tracked_message


def _request_event(
    kind: str, facts: RequestFacts, *, machine_reason: str = "", link_number: int | None = None
) -> EventFacts:
    return EventFacts(kind, machine_reason, link_number, user_agent=facts.user_agent, ip=facts.ip)


def record_open(message: TrackedMessage, facts: RequestFacts) -> None:
    """K1: the open pixel was fetched."""
    now = timezone.now()
    reason = open_machine_reason(facts, sent_at=message.sent_at, now=now)
    first_times = {"machine_opened_at": "machine_opened"} if reason else {"opened_at": "opened"}
    notify = (NotificationKind.OPENED, "") if message.notify_open and not reason else None
    event = _request_event(EventKind.OPENED, facts, machine_reason=reason)
    ResultWrite(message, now, event, first_times, notify=notify).execute()


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
        # a statement of its own, after the lock: folded into the locking SELECT it would read the events as
        # of that statement's start, without the click it waited for (test: "...at the same moment...")
        earlier = earlier_clicks(message.id)
        reason = click_machine_reason(
            facts, link_number=link_number, sent_at=message.sent_at, earlier_clicks=earlier, now=now
        )
        event = _request_event(EventKind.CLICKED, facts, machine_reason=reason, link_number=link_number)
        if reason:
            ResultWrite(message, now, event, {"machine_clicked_at": "machine_clicked"}).execute()
        else:
            clicked_this_link_before = any(c.link_number == link_number and not c.machine for c in earlier)
            # a click is an open too (K2)
            first_times = {"clicked_at": "clicked", "opened_at": "opened"}
            link = (link_number, not clicked_this_link_before)
            notify = (NotificationKind.CLICKED, destination) if message.notify_click else None
            ResultWrite(message, now, event, first_times, link=link, notify=notify).execute()
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
    if message.unsubscribed_at is not None:
        return False
    tracked = TrackedMessage.of(message)
    event = _request_event(EventKind.UNSUBSCRIBED, facts)
    ResultWrite(tracked, timezone.now(), event, {"unsubscribed_at": "unsubscribed"}).execute()
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
) -> bool:
    """One provider event for the message it names; False when the message is unknown or the event
    was recorded before (same event id)."""
    if provider_message_id != storable_text(provider_message_id):
        return False  # no id we stored looks like that
    message = (
        Message.objects.select_related("tenant")
        .filter(provider_message_id=provider_message_id)
        .exclude(provider_message_id="")
        .first()
    )
    if message is None:
        return False
    at = at or timezone.now()
    tracked = TrackedMessage.of(message)
    effects = _PROVIDER_EFFECTS.get(kind)
    first_times = {effects[0]: effects[1]} if effects else {}
    event = EventFacts(kind, detail=detail, provider_event_id=event_id)
    try:
        with transaction.atomic():
            if effects and effects[2]:
                suppress_address(
                    tenant=message.tenant,
                    email=message.email,
                    reason=effects[2],
                    source=f"campaign:{message.campaign_id}",
                )
            ResultWrite(tracked, at, event, first_times).execute()
    except IntegrityError:  # the same event id again: recorded once
        return False
    return True
