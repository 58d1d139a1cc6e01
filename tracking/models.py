"""What recipients and providers did with campaign mail (K1–K5), and the counters results read (D1, D2).

Event rows are the raw record: every open, click, unsubscribe and provider event, machine ones
included. Figures never scan them: each first-time result also sets a timestamp on the Message and
adds one to CampaignActivity (per campaign, hour and shard) and, for clicks, LinkActivity. Shards
spread concurrent increments of one busy campaign over several rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

COUNTER_SHARDS = 8


class EventKind(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    REJECTED = "rejected", _("Rejected by the provider")
    DEFERRED = "deferred", _("Delivery delayed")
    COMPLAINED = "complained", _("Marked as spam")


class Event(models.Model):
    """One thing that happened to one message; kept as it came (machine activity too)."""

    id = models.BigAutoField(primary_key=True)
    # lean like Message: looked up only through the message (timeline) and the provider's event id
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    message = models.ForeignKey(
        "campaigns.Message", on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False
    )
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    machine = models.BooleanField(_("machine"), default=False)
    machine_reason = models.CharField(_("why it counts as a machine"), max_length=40, blank=True)
    link_number = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)  # a provider's reason, for bounces and rejections
    user_agent = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    provider_event_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["message", "occurred_at"], name="event_message_time")]
        constraints = [
            # a provider posting the same event twice records it once (K4)
            models.UniqueConstraint(
                fields=["provider_event_id"],
                name="event_provider_id_unique",
                condition=~models.Q(provider_event_id=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class CampaignActivity(models.Model):
    """First-time results of one campaign in one hour (UTC), in one of COUNTER_SHARDS rows."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField()
    shard = models.PositiveSmallIntegerField()
    delivered = models.PositiveIntegerField(db_default=0)
    opened = models.PositiveIntegerField(db_default=0)
    clicked = models.PositiveIntegerField(db_default=0)
    machine_opened = models.PositiveIntegerField(db_default=0)
    machine_clicked = models.PositiveIntegerField(db_default=0)
    unsubscribed = models.PositiveIntegerField(db_default=0)
    bounced = models.PositiveIntegerField(db_default=0)
    complained = models.PositiveIntegerField(db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "hour", "shard"], name="campaign_activity_bucket")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.hour:%Y-%m-%d %H}:00 #{self.shard}"


class LinkActivity(models.Model):
    """Human clicks on one link of one campaign: every click, and recipients who clicked it."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False)
    link_number = models.PositiveSmallIntegerField()
    shard = models.PositiveSmallIntegerField()
    clicks = models.PositiveIntegerField(db_default=0)
    unique_clicks = models.PositiveIntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "link_number", "shard"], name="link_activity_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} link {self.link_number} #{self.shard}"
