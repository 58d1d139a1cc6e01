"""Reads of the public tracking endpoints: a message found by its token, and no other way (K1–K3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from campaigns.models import Message, MessageStatus
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


_TRACKED_COLUMNS = (
    "id",
    "tenant_id",
    "campaign_id",
    "email",
    "sent_at",
    "campaign__link_urls",
    "lead_id",
    "campaign__owner_id",
    "campaign__notify_open",
    "campaign__notify_click",
)


def tracked_message(token: str, *, for_update: bool = False) -> TrackedMessage | None:
    """The sent message a token names; None for a malformed, unknown or unsent one (no query if malformed)."""
    if not _TOKEN.fullmatch(token):
        return None
    messages = Message.objects.filter(token=token, status__in=TRACKABLE_STATUSES)
    if for_update:
        messages = messages.select_for_update(of=("self",))
    row = messages.values_list(*_TRACKED_COLUMNS).first()
    if row is None:
        return None
    message_id, tenant_id, campaign_id, email, sent_at, link_urls, lead_id, owner_id, notify_open, notify_click = row
    return TrackedMessage(
        message_id,
        tenant_id,
        campaign_id,
        email,
        sent_at,
        tuple(link_urls or ()),
        lead_id,
        owner_id,
        notify_open,
        notify_click,
    )


def earlier_clicks(message_id: int) -> list[EarlierClick]:
    rows = Event.objects.filter(message_id=message_id, kind=EventKind.CLICKED).values_list(
        "link_number", "occurred_at", "machine"
    )
    return [EarlierClick(link_number or 0, at, machine) for link_number, at, machine in rows]


def message_for_unsubscribe(token: str) -> Message | None:
    """The message with its tenant and campaign, for the unsubscribe page (not the hot path)."""
    if not _TOKEN.fullmatch(token):
        return None
    return (
        Message.objects.select_related("tenant", "campaign").filter(token=token, status__in=TRACKABLE_STATUSES).first()
    )
