"""Notifications for a campaign's owner when a recipient opens or clicks (N1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwnedModel


class NotificationKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")


class Notification(TenantOwnedModel):
    """One per message (so per lead and campaign) and kind: repeated opens never flood the owner."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.ForeignKey("campaigns.Message", on_delete=models.CASCADE, related_name="+", db_index=False)
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    kind = models.CharField(_("what"), max_length=10, choices=NotificationKind.choices)
    url = models.TextField(_("clicked link"), blank=True)
    created_at = models.DateTimeField(_("when"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["message", "kind"], name="notification_once_per_kind")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
