"""Reads of a user's notifications (N1): always the signed-in user's own, newest first."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from notifications.models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, tenant=user.tenant)
        .select_related("campaign", "lead", "message")
        .order_by("-created_at", "-id")
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
