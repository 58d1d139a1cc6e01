"""Reads of campaigns: who sees which, and who a campaign's list will reach after exclusions (S1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import User
from campaigns.models import Campaign
from leads.filters import FilterError
from leads.models import Lead, LeadList, Suppression
from leads.selectors import resolve_list

# A deliverable address after normalisation; anything else is excluded as invalid (S1).
DELIVERABLE_ADDRESS = r"^[^@\s\"(),:;<>\[\]\\]+@[^@\s.\"(),:;<>\[\]\\]+(\.[^@\s.\"(),:;<>\[\]\\]+)+$"
EXCLUSION_REASONS = ("suppressed", "info", "invalid", "duplicate")


def campaigns_for_index(user: User, *, status: str = "") -> QuerySet[Campaign]:
    campaigns = Campaign.objects.visible_to(user).select_related("owner", "lead_list")
    return campaigns.filter(status=status) if status else campaigns


def _deliverable() -> Q:
    return Q(email_normalized__regex=DELIVERABLE_ADDRESS)


def _info_address() -> Q:
    return Q(email_normalized__startswith="info@")


def _suppressed() -> Q:
    return Q(
        Exists(Suppression.objects.filter(tenant=OuterRef("tenant"), email_normalized=OuterRef("email_normalized")))
    )


def classified_leads(lead_list: LeadList) -> QuerySet[Lead]:
    """The list's leads, unordered; filter with sendable_q(). The sender's snapshot and the counts share both."""
    return resolve_list(lead_list).order_by()


def sendable_q() -> Q:
    """Leads that get a mail (before collapsing shared addresses): deliverable, not suppressed, not info@."""
    return _deliverable() & ~_suppressed() & ~_info_address()


@dataclass(frozen=True)
class RecipientBreakdown:
    leads: int = 0
    recipients: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def recipient_breakdown(lead_list: LeadList | None) -> RecipientBreakdown:
    """How many the list reaches now and why the others are left out, in one query.

    Each lead is counted under one reason, in this order: invalid, suppressed, info@, duplicate
    (a second lead with an address already counted).
    """
    if lead_list is None:
        return RecipientBreakdown()
    try:
        leads = classified_leads(lead_list)
        deliverable = _deliverable()
        counts = leads.aggregate(
            leads=Count("id"),
            invalid=Count("id", filter=~deliverable),
            suppressed=Count("id", filter=deliverable & _suppressed()),
            info=Count("id", filter=deliverable & ~_suppressed() & _info_address()),
            sendable=Count("id", filter=sendable_q()),
            recipients=Count("email_normalized", distinct=True, filter=sendable_q()),
        )
    except FilterError as error:
        return RecipientBreakdown(error=error.message)
    excluded = {
        "suppressed": counts["suppressed"],
        "info": counts["info"],
        "invalid": counts["invalid"],
        "duplicate": counts["sendable"] - counts["recipients"],
    }
    return RecipientBreakdown(leads=counts["leads"], recipients=counts["recipients"], excluded=excluded)


def first_recipient(lead_list: LeadList | None) -> Lead | None:
    """The lead the confirm screen renders the mail for: the first one that will really get it."""
    if lead_list is None:
        return None
    try:
        return classified_leads(lead_list).filter(sendable_q()).order_by("-created_at", "-id").first()
    except FilterError:
        return None
