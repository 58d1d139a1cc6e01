"""The Salesforce Task that records one sent mail (I1): a completed Email task on the matching Contact or Lead.

Subject  `メール送信: ` + the subject as this recipient received it (merge tags filled), at most 255 characters
Status   Completed;  TaskSubtype Email;  ActivityDate the send date in Asia/Tokyo;  WhoId the Contact or Lead
Description  campaign name, subject, send time, address, then the mail's plain-text part (links as their real
             addresses, never the recipient's tracking links; no unsubscribe link), at most 32,000 characters

The texts are Japanese whatever the UI language of whoever looks: they are written into the customer's CRM.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.html import strip_tags

from campaigns.merge_tags import MergeTagError
from campaigns.models import Campaign, Message
from campaigns.rendering import CompiledCampaign, Recipient, compile_campaign_mail

SUBJECT_PREFIX = "メール送信: "
SUBJECT_MAX = 255
DESCRIPTION_MAX = 32_000
TOKYO = ZoneInfo("Asia/Tokyo")
TRUNCATED = "…"


class CampaignMail:
    """One campaign's mail, compiled once per sync batch and filled per recipient."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        try:
            self.compiled: CompiledCampaign | None = compile_campaign_mail(campaign)
        except MergeTagError:  # cannot happen to a sent campaign; the stored text is still worth recording
            self.compiled = None

    def subject_and_text(self, message: Message) -> tuple[str, str]:
        if self.compiled is None:
            return self.campaign.subject, strip_tags(self.campaign.body_html)
        lead = message.lead
        recipient = (
            Recipient(company_name=lead.company_name, last_name=lead.last_name, first_name=lead.first_name)
            if lead is not None
            else Recipient()
        )
        # no token: links show their real addresses, so nobody's click in Salesforce counts as the recipient's;
        # the unsubscribe link of such a rendering leads nowhere useful and is left out (its text stays)
        rendered = self.compiled.render(recipient, token=None)
        text = "\n".join(line.rstrip() for line in rendered.text.replace(rendered.unsubscribe_url, "").splitlines())
        return rendered.subject, text


def _truncated(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)] + TRUNCATED


def _tokyo(moment: datetime) -> datetime:
    return moment.astimezone(TOKYO)


def task_fields(mail: CampaignMail, message: Message, who_id: str) -> dict:
    """The Task record for sObject Collections (`attributes.type` Task)."""
    subject, text = mail.subject_and_text(message)
    sent_at = _tokyo(message.sent_at or message.created_at)
    header = (
        f"キャンペーン: {mail.campaign.name}\n"
        f"件名: {subject}\n"
        f"送信日時: {sent_at:%Y/%m/%d %H:%M}\n"
        f"宛先: {message.email}\n"
        "\n"
    )
    return {
        "attributes": {"type": "Task"},
        "Subject": _truncated(SUBJECT_PREFIX + subject, SUBJECT_MAX),
        "Status": "Completed",
        "TaskSubtype": "Email",
        "ActivityDate": sent_at.date().isoformat(),
        "WhoId": who_id,
        "Description": _truncated(header + text.strip(), DESCRIPTION_MAX),
    }
