"""What a campaign must satisfy: always (any save), and before it may be sent or scheduled (C1–C13).

Problems are returned as {field name: [messages]}; NON_FIELD holds those of the campaign as a
whole. The composer, the confirm screen and the API show exactly these.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import is_sender_address_allowed, missing_legal_info
from campaigns.merge_tags import DEFAULT_UNSUBSCRIBE_TAG
from campaigns.models import Campaign
from campaigns.rendering import body_has_unsubscribe_tag, content_problems
from campaigns.selectors import recipient_breakdown
from leads.addresses import is_valid_email, normalize_email

NON_FIELD = NON_FIELD_ERRORS
MIN_SCHEDULE_LEAD = timedelta(minutes=30)
Problems = dict[str, list[str]]


def _add(problems: Problems, field: str, message: str) -> None:
    problems.setdefault(field, []).append(message)


def subject_line_problems(subject: str) -> list[str]:
    """A subject is one header line: a line break would let a value inject headers."""
    if "\r" in subject or "\n" in subject:
        return [_("The subject must be a single line.")]
    return []


def sender_name_problems(from_name: str) -> list[str]:
    """The sender name goes into the From header: one line, like the subject."""
    if "\r" in from_name or "\n" in from_name:
        return [_("The sender name must be a single line.")]
    return []


def always_problems(*, subject: str, from_email: str, reply_to: str, from_name: str = "") -> Problems:
    """Checked on every save, drafts included: things that can never be stored."""
    problems: Problems = {}
    for message in subject_line_problems(subject):
        _add(problems, "subject", message)
    for message in sender_name_problems(from_name):
        _add(problems, "from_name", message)
    for field, value in (("from_email", from_email), ("reply_to", reply_to)):
        # checked as leads are (normalized), and kept in the form mail is sent with (campaigns.services._apply)
        if value and not is_valid_email(normalize_email(value)):
            _add(problems, field, _("“%(value)s” is not a valid email address.") % {"value": value})
    return problems


def schedule_problems(scheduled_at: datetime | None, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    if scheduled_at is None:
        return [_("Enter the date and time to send.")]
    earliest = now + MIN_SCHEDULE_LEAD
    if scheduled_at < earliest:
        return [
            _("A scheduled time must be at least 30 minutes from now (%(earliest)s or later).")
            % {"earliest": timezone.localtime(earliest).strftime("%Y/%m/%d %H:%M")}
        ]
    return []


def scheduling_problems(campaign: Campaign, scheduled_at: datetime | None, now: datetime | None = None) -> Problems:
    """What stops scheduling for this time: everything that stops sending, plus the 30-minute rule (C9)."""
    problems = sending_problems(campaign)
    for message in schedule_problems(scheduled_at, now):
        problems.setdefault("scheduled_at", []).append(message)
    return problems


def _required_problems(campaign: Campaign, problems: Problems) -> None:
    required = {
        "name": campaign.name,
        "subject": campaign.subject,
        "body_html": campaign.body_html,
        "from_name": campaign.from_name,
        "from_email": campaign.from_email,
    }
    if not campaign.no_reply_to:
        required["reply_to"] = campaign.reply_to
    for field, value in required.items():
        if not value.strip():
            _add(problems, field, _("This field is required."))
    if campaign.lead_list_id is None:
        _add(problems, "lead_list", _("Choose the list to send to."))


def content_and_sender_problems(campaign: Campaign) -> Problems:
    """What a test send needs too: renderable content and a sender on a registered domain."""
    problems = always_problems(
        subject=campaign.subject,
        from_email=campaign.from_email,
        reply_to=campaign.reply_to,
        from_name=campaign.from_name,
    )
    for field, messages in content_problems(subject=campaign.subject, body_html=campaign.body_html).items():
        problems.setdefault(field, []).extend(messages)
    from_email_usable = campaign.from_email and "from_email" not in problems
    if from_email_usable and not is_sender_address_allowed(campaign.tenant, campaign.from_email):
        _add(
            problems,
            "from_email",
            _("%(address)s is not on a registered sender domain. An admin can add the domain in the settings.")
            % {"address": campaign.from_email},
        )
    return problems


def sending_problems(campaign: Campaign, *, count_recipients: bool = True) -> Problems:
    """Everything that stops a campaign from being sent or scheduled (the draft may still be saved).

    count_recipients=False leaves out the count of who the list reaches: the snapshot finds that out itself.
    """
    problems = content_and_sender_problems(campaign)
    _required_problems(campaign, problems)
    if campaign.body_html and "body_html" not in problems and not body_has_unsubscribe_tag(campaign.body_html):
        _add(
            problems,
            "body_html",
            _("The body must contain the unsubscribe tag %(tag)s: the law requires a way to stop receiving mail.")
            % {"tag": DEFAULT_UNSUBSCRIBE_TAG},
        )
    if count_recipients and campaign.lead_list_id is not None and "lead_list" not in problems:
        breakdown = recipient_breakdown(campaign.lead_list)
        if breakdown.error:
            _add(problems, "lead_list", breakdown.error)
        elif breakdown.recipients == 0:
            _add(problems, "lead_list", _("Nobody on this list can receive the mail."))
    missing = missing_legal_info(campaign.tenant)
    if missing:
        _add(
            problems,
            NON_FIELD,
            _("The legal sender information is missing (%(fields)s). An admin must enter it in the mail settings.")
            % {"fields": "、".join(str(label) for label in missing)},
        )
    return problems
