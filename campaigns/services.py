"""Writes on campaigns: drafts, send requests, schedules, test sends (C1–C14).

Every screen and API endpoint goes through these; each refuses what rules.py refuses.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from typing import Any

from anymail.exceptions import AnymailError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from campaigns.body_html import clean_body_html
from campaigns.default_body import DEFAULT_BODY_HTML
from campaigns.delivery import finish_if_done
from campaigns.mail_message import Envelope, acceptance_is_delivery, build_email
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from campaigns.rendering import Recipient, compile_campaign_mail
from campaigns.rules import (
    NON_FIELD,
    Problems,
    always_problems,
    content_and_sender_problems,
    scheduling_problems,
    sending_problems,
)
from campaigns.snapshot import take_snapshot
from leads.addresses import sendable_email
from leads.filters import FilterError

EDITABLE_FIELDS = (
    "name",
    "subject",
    "body_html",
    "lead_list",
    "from_name",
    "from_email",
    "reply_to",
    "no_reply_to",
    "notify_open",
    "notify_click",
    "salesforce_sync",
    "scheduled_at",
)


class CampaignRefused(Exception):
    """The campaign cannot do what was asked; problems name the fields (NON_FIELD for the whole)."""

    def __init__(self, problems: Problems):
        super().__init__("; ".join(message for messages in problems.values() for message in messages))
        self.problems = problems


def _refuse_unless_editable(campaign: Campaign) -> None:
    if not campaign.is_editable:
        raise CampaignRefused({NON_FIELD: [_("Only a draft can be changed. Cancel the schedule first.")]})


def _apply(campaign: Campaign, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.subject = campaign.subject or ""
    campaign.body_html = clean_body_html(campaign.body_html)
    campaign.from_email = sendable_email(campaign.from_email)  # trimmed; typed full-width, kept mailable
    campaign.reply_to = sendable_email(campaign.reply_to)
    problems = always_problems(
        subject=campaign.subject,
        from_email=campaign.from_email,
        reply_to=campaign.reply_to,
        from_name=campaign.from_name,
    )
    if problems:
        raise CampaignRefused(problems)


def new_campaign(tenant: Tenant, owner: User) -> Campaign:
    """An unsaved campaign as the composer opens it: the default body of C5/C6 in place."""
    return Campaign(tenant=tenant, owner=owner, body_html=DEFAULT_BODY_HTML, from_email=owner.email)


def create_campaign(tenant: Tenant, owner: User, **fields: Any) -> Campaign:
    """Saved as a draft, as given (C12): only what can never be stored is refused."""
    campaign = new_campaign(tenant, owner)
    _apply(campaign, fields)
    campaign.save()
    return campaign


@transaction.atomic
def update_campaign(campaign: Campaign, **fields: Any) -> Campaign:
    # the stored status decides, not the caller's copy: a send may have been requested meanwhile
    campaign.status = Campaign.objects.select_for_update().values_list("status", flat=True).get(pk=campaign.pk)
    _refuse_unless_editable(campaign)
    _apply(campaign, fields)
    campaign.save()
    return campaign


def delete_campaign(campaign: Campaign) -> None:
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.CANCELLED):
        raise CampaignRefused({NON_FIELD: [_("Only a draft or a cancelled campaign can be deleted.")]})
    campaign.delete()


def _refuse_if_not_sendable(campaign: Campaign) -> None:
    problems = sending_problems(campaign)
    if problems:
        raise CampaignRefused(problems)


@transaction.atomic
def request_send(campaign: Campaign) -> Campaign:
    """送信: the campaign waits for the sender, which starts it (the send path of S5)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _refuse_unless_editable(campaign)
    _refuse_if_not_sendable(campaign)
    campaign.move_to(CampaignStatus.QUEUED, allowed_from=(CampaignStatus.DRAFT,))
    campaign.scheduled_at = None
    campaign.queued_at = timezone.now()
    campaign.status_note = ""
    campaign.save(update_fields=["status", "scheduled_at", "queued_at", "status_note", "updated_at"])
    tasks().start_on_commit(campaign.pk)  # the snapshot runs in a worker, never in the request
    return campaign


@transaction.atomic
def schedule_campaign(campaign: Campaign, scheduled_at: datetime | None, *, now: datetime | None = None) -> Campaign:
    """配信予約: at least 30 minutes from the moment it is set (C9); also reschedules a scheduled one."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignRefused({NON_FIELD: [_("This campaign has already started and cannot be rescheduled.")]})
    problems = scheduling_problems(campaign, scheduled_at, now)
    if problems:
        raise CampaignRefused(problems)
    campaign.move_to(CampaignStatus.SCHEDULED, allowed_from=(CampaignStatus.DRAFT, CampaignStatus.SCHEDULED))
    campaign.scheduled_at = scheduled_at
    campaign.save(update_fields=["status", "scheduled_at", "updated_at"])
    return campaign


@transaction.atomic
def cancel_campaign(campaign: Campaign) -> Campaign:
    """Before it starts, back to an editable draft (C9); while sending or paused, stop for good (S9).

    A stopped campaign's outcome is stored at once when no mail was being handed over; otherwise the
    worker handing it over stores it after its batch (campaigns.delivery.finish_if_done).
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status in (CampaignStatus.SENDING, CampaignStatus.PAUSED):
        campaign.move_to(CampaignStatus.CANCELLED, allowed_from=(CampaignStatus.SENDING, CampaignStatus.PAUSED))
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at", "updated_at"])
        # not yet handed over: never will be; a worker's claimed rows fail its compare-and-swap
        Message.objects.filter(campaign=campaign, status__in=[MessageStatus.PENDING, MessageStatus.CLAIMED]).update(
            status=MessageStatus.SKIPPED, error="the campaign was cancelled", claim=""
        )
        finish_if_done(campaign.pk)
        campaign.refresh_from_db(fields=["outcome_counts"])
        return campaign
    if campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.QUEUED):
        raise CampaignRefused({NON_FIELD: [_("Only a scheduled or sending campaign can be cancelled.")]})
    campaign.move_to(CampaignStatus.DRAFT, allowed_from=(CampaignStatus.SCHEDULED, CampaignStatus.QUEUED))
    campaign.queued_at = None
    campaign.save(update_fields=["status", "queued_at", "updated_at"])
    return campaign


@transaction.atomic
def pause_sending(campaign: Campaign) -> Campaign:
    """Workers stop within a few messages; what they held goes back to waiting (S9)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.SENDING:
        raise CampaignRefused({NON_FIELD: [_("Only a campaign that is sending can be paused.")]})
    campaign.move_to(CampaignStatus.PAUSED, allowed_from=(CampaignStatus.SENDING,))
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def resume_sending(campaign: Campaign) -> Campaign:
    """Continues with the messages still waiting; a message that went out is never sent again."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.PAUSED:
        raise CampaignRefused({NON_FIELD: [_("Only a paused campaign can be resumed.")]})
    campaign.move_to(CampaignStatus.SENDING, allowed_from=(CampaignStatus.PAUSED,))
    campaign.save(update_fields=["status", "updated_at"])
    tasks().fan_out_on_commit(campaign.pk)
    return campaign


def _back_to_draft(campaign: Campaign, note: str) -> Campaign:
    campaign.status = CampaignStatus.DRAFT
    campaign.status_note = note
    campaign.queued_at = None
    campaign.save(update_fields=["status", "status_note", "queued_at", "updated_at"])
    return campaign


@transaction.atomic
def start_sending(campaign_id: int) -> Campaign | None:
    """S1: fix the recipients and start the workers; once, however often it is called (double clicks,
    two beat runs, a redelivered task). A campaign that cannot start goes back to a draft with the reason."""
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("tenant", "lead_list")
        .filter(pk=campaign_id)
        .first()
    )
    due = campaign is not None and (
        campaign.status == CampaignStatus.QUEUED
        or (campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at <= timezone.now())
    )
    if not due:
        return campaign
    problems = sending_problems(campaign, count_recipients=False)  # the snapshot counts, once
    if problems:
        return _back_to_draft(campaign, "; ".join(m for messages in problems.values() for m in messages))
    try:
        snapshot = take_snapshot(campaign)
    except FilterError as error:
        return _back_to_draft(campaign, error.message)
    if snapshot.recipients == 0:
        return _back_to_draft(campaign, _("Nobody on this list can receive the mail."))
    campaign.status = CampaignStatus.SENDING
    campaign.link_urls = list(compile_campaign_mail(campaign).link_urls)
    campaign.delivered_on_acceptance = acceptance_is_delivery()
    campaign.started_at = campaign.last_batch_at = timezone.now()  # the sweeper leaves a fresh start alone
    campaign.recipients_total = snapshot.recipients
    campaign.exclusions = snapshot.exclusions
    campaign.status_note = ""
    campaign.save(
        update_fields=[
            "status",
            "started_at",
            "last_batch_at",
            "recipients_total",
            "exclusions",
            "status_note",
            "link_urls",
            "delivered_on_acceptance",
            "updated_at",
        ]
    )
    tasks().fan_out_on_commit(campaign.pk)
    return campaign


def campaigns_due_to_start() -> list[int]:
    """Scheduled campaigns whose time has come, and send requests older than a minute (their task was lost)."""
    now = timezone.now()
    due = Campaign.objects.filter(
        Q(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
        | Q(status=CampaignStatus.QUEUED, queued_at__lte=now - timedelta(minutes=1))
    )
    return list(due.values_list("id", flat=True))


def tasks():
    """The task module, imported late: tasks call these services and these services queue tasks."""
    from campaigns import tasks as campaign_tasks

    return campaign_tasks


def split_contact_name(contact_name: str) -> tuple[str, str]:
    """担当者名 as typed ("山田 太郎", "山田　太郎" or "山田") into 姓 and 名."""
    last, _space, first = " ".join(contact_name.split()).partition(" ")
    return last, first


def send_test_mail(campaign: Campaign, *, email: str, company_name: str = "", contact_name: str = "") -> None:
    """C14: sent at once through the configured backend, marked as a test, recorded nowhere."""
    problems = content_and_sender_problems(campaign)
    for field in ("subject", "from_email"):
        if not getattr(campaign, field).strip():
            problems.setdefault(field, []).append(_("This field is required."))
    if problems:
        raise CampaignRefused(problems)
    compiled = compile_campaign_mail(campaign)
    last_name, first_name = split_contact_name(contact_name)
    rendered = compiled.render(Recipient(company_name.strip(), last_name, first_name), token=None)
    message = build_email(Envelope.of_campaign(campaign), rendered, email, subject_prefix=_("[Test] "))
    try:
        message.send()
    except (smtplib.SMTPException, OSError, AnymailError) as error:
        problem = _("The test mail could not be sent: %(reason)s") % {"reason": str(error) or type(error).__name__}
        raise CampaignRefused({NON_FIELD: [problem]}) from None
