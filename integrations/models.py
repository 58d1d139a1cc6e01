"""Integrations' data. Salesforce (I1): one connection per tenant and one sync record per sent message.

The send path never reads or writes these: a sent Message gets its record later, in the sync task.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantQuerySet


class SalesforceAuthMethod(models.TextChoices):
    # OAuth 2.0 refresh token of a connected app (the recommended flow)
    REFRESH_TOKEN = "refresh_token", _("OAuth refresh token")
    # OAuth 2.0 username-password flow of a connected app (grant_type=password), not the SOAP login
    PASSWORD = "password", _("Username and password")


class SalesforceConnection(models.Model):
    """A tenant's Salesforce org. Secrets are in `credentials_encrypted` (Fernet JSON), never in plain columns.

    `tenant.salesforce_connection` exists once the tenant is connected: the composer offers C11 then.
    """

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.CASCADE, related_name="salesforce_connection")
    instance_url = models.CharField(_("Salesforce URL"), max_length=255)
    auth_method = models.CharField(
        _("sign-in method"),
        max_length=20,
        choices=SalesforceAuthMethod.choices,
        default=SalesforceAuthMethod.REFRESH_TOKEN,
    )
    client_id = models.CharField(_("consumer key"), max_length=255, blank=True)
    username = models.CharField(_("username"), max_length=255, blank=True)
    # {"client_secret", "refresh_token", "password", "security_token"}: encryption.encrypt(json)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    # the last access token (encrypted) and the instance URL Salesforce returned with it
    access_token_encrypted = models.TextField(blank=True, editable=False)
    api_url = models.CharField(max_length=255, blank=True, editable=False)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("connected"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # health: a failure that stops every call (sign-in, API limit, server error) pauses the whole connection
    last_success_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # in a row
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("Salesforce connection")
        verbose_name_plural = _("Salesforce connections")

    def __str__(self) -> str:
        return self.instance_url


class SyncStatus(models.TextChoices):
    SENDING = "sending", _("Being recorded")
    RECORDED = "recorded", _("Recorded")
    UNMATCHED = "unmatched", _("No matching lead or contact")
    FAILED = "failed", _("Failed")


class SalesforceSyncRecord(models.Model):
    """What became of one sent message in Salesforce: a Task on a Contact or Lead, no match, or a failure.

    A record is created `sending` by the sync run that claims the message (`claim` names that run), and ends
    `recorded`, `unmatched` or `failed`; a failed one with `next_attempt_at` is tried again from then on.
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.OneToOneField("campaigns.Message", on_delete=models.CASCADE, related_name="salesforce_record")
    status = models.CharField(_("status"), max_length=10, choices=SyncStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    salesforce_task_id = models.CharField(_("Salesforce task ID"), max_length=18, blank=True)
    who_type = models.CharField(max_length=10, blank=True)  # "Contact" or "Lead"
    who_id = models.CharField(max_length=18, blank=True)
    matched_records = models.PositiveSmallIntegerField(default=0)  # Contacts and Leads with the address
    error = models.TextField(_("reason"), blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("Salesforce sync record")
        verbose_name_plural = _("Salesforce sync records")
        indexes = [
            models.Index(fields=["campaign", "status"], name="sf_record_campaign_status"),
            models.Index(
                fields=["tenant", "next_attempt_at"],
                name="sf_record_due",
                condition=models.Q(status="failed", next_attempt_at__isnull=False),
            ),
            models.Index(fields=["claim"], name="sf_record_claim", condition=models.Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status}"


class SalesforceCampaignState(models.Model):
    """A finished campaign whose every sent message has a record: the sync stops looking at its messages."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, primary_key=True, related_name="salesforce_state"
    )
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    caught_up_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.caught_up_at:%Y-%m-%d %H:%M}"
