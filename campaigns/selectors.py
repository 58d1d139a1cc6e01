"""Reads of campaigns: who sees which, and who a campaign's list will reach after exclusions (S1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from leads.filters import FilterError
from leads.models import Lead, LeadList, Suppression
from leads.selectors import resolve_list

# A deliverable address after normalisation; anything else is excluded as invalid (S1).
DELIVERABLE_ADDRESS = r"^[^@\s\"(),:;<>\[\]\\]+@[^@\s.\"(),:;<>\[\]\\]+(\.[^@\s.\"(),:;<>\[\]\\]+)+$"
EXCLUSION_REASONS = ("suppressed", "info", "invalid", "duplicate")


def campaigns_for_index(user: User, *, status: str = "") -> QuerySet[Campaign]:
    campaigns = Campaign.objects.visible_to(user).select_related("owner", "lead_list")
    return campaigns.filter(status=status) if status else campaigns


def deliverable_q() -> Q:
    return Q(email_normalized__regex=DELIVERABLE_ADDRESS)


def info_address_q() -> Q:
    return Q(email_normalized__startswith="info@")


def suppressed_q() -> Q:
    return Q(
        Exists(Suppression.objects.filter(tenant=OuterRef("tenant"), email_normalized=OuterRef("email_normalized")))
    )


def classified_leads(lead_list: LeadList) -> QuerySet[Lead]:
    """The list's leads, unordered; filter with sendable_q(). The sender's snapshot and the counts share both."""
    return resolve_list(lead_list).order_by()


def sendable_q() -> Q:
    """Leads that get a mail (before collapsing shared addresses): deliverable, not suppressed, not info@."""
    return deliverable_q() & ~suppressed_q() & ~info_address_q()


@dataclass(frozen=True)
class RecipientBreakdown:
    leads: int = 0
    recipients: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def _exclusion_aggregates(*, distinct_recipients: bool) -> dict:
    deliverable = deliverable_q()
    aggregates = {
        "leads": Count("id"),
        "invalid": Count("id", filter=~deliverable),
        "suppressed": Count("id", filter=deliverable & suppressed_q()),
        "info": Count("id", filter=deliverable & ~suppressed_q() & info_address_q()),
        "sendable": Count("id", filter=sendable_q()),
    }
    if distinct_recipients:
        aggregates["recipients"] = Count("email_normalized", distinct=True, filter=sendable_q())
    return aggregates


def exclusion_counts(lead_list: LeadList) -> dict[str, int]:
    """leads / invalid / suppressed / info / sendable of a list, one query, without the costly distinct count
    (the snapshot learns the number of distinct addresses from the rows it writes)."""
    return classified_leads(lead_list).aggregate(**_exclusion_aggregates(distinct_recipients=False))


def recipient_breakdown(lead_list: LeadList | None) -> RecipientBreakdown:
    """How many the list reaches now and why the others are left out, in one query.

    Each lead is counted under one reason, in this order: invalid, suppressed, info@, duplicate
    (a second lead with an address already counted).
    """
    if lead_list is None:
        return RecipientBreakdown()
    try:
        counts = classified_leads(lead_list).aggregate(**_exclusion_aggregates(distinct_recipients=True))
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


@dataclass(frozen=True)
class SendingProgress:
    total: int
    sent: int
    failed: int
    skipped: int
    unknown: int
    remaining: int
    eta_seconds: int | None

    @property
    def done(self) -> int:
        return self.total - self.remaining

    @property
    def eta_minutes(self) -> int | None:
        return None if self.eta_seconds is None else max(1, -(-self.eta_seconds // 60))

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def sending_progress(campaign: Campaign) -> SendingProgress:
    """Where a campaign's messages stand, in one grouped count, and when the rest should be out."""
    by_status = dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")).order_by())
    total = sum(by_status.values())
    in_flight = sum(
        by_status.get(status, 0) for status in (MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.SENDING)
    )
    done = total - in_flight
    eta = None
    if campaign.started_at and done and in_flight and campaign.status == CampaignStatus.SENDING:
        elapsed = (timezone.now() - campaign.started_at).total_seconds()
        eta = int(in_flight * elapsed / done)
    return SendingProgress(
        total=total,
        sent=by_status.get(MessageStatus.SENT, 0),
        failed=by_status.get(MessageStatus.FAILED, 0),
        skipped=by_status.get(MessageStatus.SKIPPED, 0),
        unknown=by_status.get(MessageStatus.UNKNOWN, 0),
        remaining=in_flight,
        eta_seconds=eta,
    )


def campaign_messages(campaign: Campaign, *, status: str = "") -> QuerySet[Message]:
    messages = Message.objects.filter(campaign=campaign).select_related("lead").order_by("id")
    return messages.filter(status=status) if status else messages
