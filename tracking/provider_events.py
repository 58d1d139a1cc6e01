"""django-anymail's tracking signal (K4): every ESP's webhook arrives here as a normalized event.

anymail's webhook views authenticate the post (basic auth with ANYMAIL_WEBHOOK_SECRET, plus the
ESP's own signature where it has one) before the signal is sent; this receiver maps the event to
the message by the provider's message id and records it.
"""

from __future__ import annotations

import logging

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from tracking.models import EventKind
from tracking.services import record_provider_event

logger = logging.getLogger(__name__)

# anymail's normalized event types we record; opens and clicks are tracked by our own links
ANYMAIL_EVENT_KINDS = {
    "delivered": EventKind.DELIVERED,
    "bounced": EventKind.BOUNCED,
    "rejected": EventKind.REJECTED,
    "failed": EventKind.REJECTED,
    "deferred": EventKind.DEFERRED,
    "complained": EventKind.COMPLAINED,
    "unsubscribed": EventKind.UNSUBSCRIBED,
}


def _detail(event: AnymailTrackingEvent) -> str:
    parts = [event.reject_reason or "", event.description or "", event.mta_response or ""]
    return " / ".join(part.strip() for part in parts if part and part.strip())


@receiver(tracking, dispatch_uid="okuru-provider-events")
def on_provider_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    kind = ANYMAIL_EVENT_KINDS.get(event.event_type)
    if kind is None or not event.message_id:
        return
    recorded = record_provider_event(
        provider_message_id=str(event.message_id),
        kind=kind,
        event_id=f"{esp_name}:{event.event_id}" if event.event_id else "",
        at=event.timestamp,
        detail=_detail(event),
    )
    if not recorded:
        logger.info("%s %s event for message %s not recorded (unknown or repeated)", esp_name, kind, event.message_id)
