from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwnedModel, TenantQuerySet


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Waiting to send")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class IllegalTransition(Exception):
    """A campaign was asked to move to a state it cannot reach from where it is."""


class CampaignQuerySet(TenantQuerySet):
    def visible_to(self, user) -> CampaignQuerySet:
        """Reps see their own campaigns; managers and admins see all of their tenant's (A1)."""
        campaigns = self.for_tenant(user.tenant)
        return campaigns if user.can_see_all_campaigns else campaigns.filter(owner=user)


class Campaign(TenantOwnedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("owner")
    )
    name = models.CharField(_("campaign name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_html = models.TextField(_("body"), blank=True)
    lead_list = models.ForeignKey(
        "leads.LeadList",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("recipient list"),
    )
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    from_email = models.CharField(_("sender address"), max_length=254, blank=True)
    reply_to = models.CharField(_("reply-to address"), max_length=254, blank=True)
    no_reply_to = models.BooleanField(_("no reply-to"), default=False)
    notify_open = models.BooleanField(_("notify me on open"), default=False)
    notify_click = models.BooleanField(_("notify me on click"), default=False)
    salesforce_sync = models.BooleanField(_("record the send history in Salesforce"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    queued_at = models.DateTimeField(_("send requested"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    EDITABLE_STATUSES = (CampaignStatus.DRAFT,)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-updated_at"], name="campaign_tenant_updated"),
            models.Index(fields=["tenant", "owner", "-updated_at"], name="campaign_tenant_owner"),
            models.Index(fields=["status", "scheduled_at"], name="campaign_due"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    def move_to(self, status: str, *, allowed_from: tuple[str, ...]) -> None:
        if self.status not in allowed_from:
            raise IllegalTransition(f"{self.status} -> {status}")
        self.status = status
