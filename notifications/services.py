"""Marking notifications read (N1). They are created by tracking (tracking.result_writes) in the
same statement as the open or click that causes them, so the endpoint does not slow down."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from notifications.models import Notification


def mark_read(user: User, notification_id: int) -> bool:
    """False when the user has no such notification (another user's or another tenant's is never touched)."""
    notifications = Notification.objects.filter(pk=notification_id, recipient=user, tenant=user.tenant)
    if not notifications.exists():
        return False
    notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return True


def mark_all_read(user: User) -> int:
    return Notification.objects.filter(recipient=user, tenant=user.tenant, read_at__isnull=True).update(
        read_at=timezone.now()
    )
