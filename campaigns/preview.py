"""The confirm screen's view of a campaign (C13): the mail for its first real recipient, and the counts."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.merge_tags import MergeTagError
from campaigns.models import Campaign
from campaigns.rendering import Recipient, RenderedMail, compile_campaign_mail
from campaigns.rules import Problems, sending_problems
from campaigns.selectors import RecipientBreakdown, first_recipient, recipient_breakdown
from leads.models import Lead


@dataclass(frozen=True)
class CampaignPreview:
    mail: RenderedMail | None
    lead: Lead | None
    breakdown: RecipientBreakdown
    problems: Problems

    @property
    def can_send(self) -> bool:
        return not self.problems


def preview_campaign(campaign: Campaign) -> CampaignPreview:
    """Rendered exactly as the sender will, for the first lead that will receive it (links untracked)."""
    lead = first_recipient(campaign.lead_list)
    mail = None
    try:
        compiled = compile_campaign_mail(campaign)
    except MergeTagError:
        compiled = None
    if compiled is not None:
        recipient = Recipient(lead.company_name, lead.last_name, lead.first_name) if lead else Recipient()
        mail = compiled.render(recipient, token=None)
    return CampaignPreview(mail, lead, recipient_breakdown(campaign.lead_list), sending_problems(campaign))
