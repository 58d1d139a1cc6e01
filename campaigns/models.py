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
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished"), null=True, blank=True)
    last_batch_at = models.DateTimeField(null=True, blank=True, editable=False)  # the sweeper's sign of life
    recipients_total = models.PositiveIntegerField(_("recipients"), null=True, blank=True)
    exclusions = models.JSONField(_("excluded leads by reason"), default=dict, blank=True)
    status_note = models.TextField(_("note on the last state change"), blank=True)
    # fixed when sending starts (S1): link number n (1-based) of the mail redirects to link_urls[n - 1] (K2)
    link_urls = models.JSONField(default=list, blank=True, editable=False)
    # SMTP (the local catcher): the server's acceptance is the delivery (K4); a provider reports it by webhook
    delivered_on_acceptance = models.BooleanField(default=False, editable=False)
    # counted once when the campaign ends (sent / failed / skipped / unknown): results never recount a million rows
    outcome_counts = models.JSONField(default=dict, blank=True, editable=False)
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


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CLAIMED = "claimed", _("In a batch")
    SENDING = "sending", _("Handing over")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    UNKNOWN = "unknown", _("Unknown")


FINAL_MESSAGE_STATUSES = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.SKIPPED, MessageStatus.UNKNOWN)


class EqualityIndex(models.Index):
    """A hash index on PostgreSQL (a plain index elsewhere): for columns only ever looked up by equality.

    A B-tree takes values that arrive in random order (a snapshot's lead ids, written in address order) at
    random pages, splitting them and logging whole pages; a hash index costs less per insert and answers
    `=` as fast.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Message(models.Model):
    """One recipient of one campaign (S1), fixed when sending starts; its state is the queue (S5).

    pending -> claimed (in a worker's batch) -> sending (being handed to the provider) -> sent | failed,
    or skipped (suppressed, lead deleted, cancelled). A message found still `sending` after a worker
    died may or may not have reached the provider: it becomes `unknown` and is never sent again.
    """

    # Lean on purpose (a million rows per large campaign): no index or constraint that no query needs.
    # The campaign's composite indexes serve its lookups; Django's collector handles the deletes.
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # no database constraint: checking it for each of a million new rows was a fifth of a snapshot's time
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="messages", db_index=False, db_constraint=False
    )
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
        db_constraint=False,
    )
    email = models.CharField(_("email"), max_length=254)
    email_normalized = models.CharField(max_length=254)
    # for tracking and unsubscribe links: the time, then 128 unguessable bits (snapshot.py); 32 before 2026-11-27
    token = models.CharField(max_length=44)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # first-time results (K1–K5): set once by tracking, read by filters and the timeline; figures use counters
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    machine_opened_at = models.DateTimeField(null=True, blank=True)
    machine_clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    complained_at = models.DateTimeField(_("complained at"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email_normalized"], name="message_one_per_address"),
            models.UniqueConstraint(fields=["token"], name="message_token_unique"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="message_campaign_status"),
            models.Index(
                fields=["status", "claimed_at"],
                name="message_in_flight",
                condition=models.Q(status__in=["claimed", "sending"]),
            ),
            # a lead's few messages (timeline, mail-activity filters); lead ids arrive in random order
            EqualityIndex(fields=["lead"], name="message_lead_id"),
            # provider events (K4) name the message by the provider's id; empty until it is sent
            models.Index(
                fields=["provider_message_id"],
                name="message_provider_id",
                condition=~models.Q(provider_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return self.email
