"""Reads for leads: the index query and the history timeline (L4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from campaigns.models import Campaign, Message, MessageStatus
from leads.filters import FilterError, compile_filter
from leads.models import Lead, LeadList, Suppression, SuppressionReason
from tracking.models import Event, EventKind

LEAD_SORTS = {
    "created": ("-created_at", "-id"),
    "company": ("company_name", "id"),
    "name": ("last_name", "first_name", "id"),
    "email": ("email_normalized", "id"),
    "employees": ("employees", "id"),
    "updated": ("-updated_at", "-id"),
}
DEFAULT_LEAD_SORT = "created"


def leads_for_index(tenant: Tenant, *, search: str = "", sort: str = DEFAULT_LEAD_SORT) -> QuerySet[Lead]:
    """The tenant's leads matching a free-text search over name, company and email."""
    leads = Lead.objects.for_tenant(tenant)
    search = search.strip()
    if search:
        leads = leads.filter(lead_search_q(search))
    return leads.select_related("owner").order_by(*LEAD_SORTS.get(sort, LEAD_SORTS[DEFAULT_LEAD_SORT]))


def lead_search_q(search: str) -> Q:
    query = Q()
    for word in search.split()[:5]:
        if "\x00" in word:  # no stored text holds NUL (PostgreSQL refuses it): the word matches nothing
            return Q(pk__in=[])
        query &= (
            Q(company_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(email_normalized__icontains=word.lower())
        )
    return query


TIMELINE_LIMIT = 200

# Among entries of the same instant, the later step of a mail's life is shown first (newest first):
# with SMTP the mail is delivered the moment it is sent.
_STEP = {
    "created": 0,
    "mail-sent": 1,
    "mail-failed": 1,
    "mail-unknown": 1,
    "mail-delivered": 2,
    "mail-opened": 3,
    "mail-clicked": 4,
    "mail-complained": 5,
    "mail-unsubscribed": 6,
    "unsubscribed": 7,
}
TIMELINE_KINDS = tuple(_STEP)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a lead's history (L4). Mail entries name their campaign; clicks carry the URL."""

    at: datetime
    kind: str
    label: str
    detail: str = ""
    campaign_name: str = ""
    campaign_id: int | None = None
    url: str = ""

    @property
    def url_is_web(self) -> bool:
        return self.url.lower().startswith(("http://", "https://"))


def lead_timeline(lead: Lead, *, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The lead's history, newest first, at most `limit` entries (the newest).

    Kinds: created; unsubscribed (the address is on the suppression list, with the reason; left out
    when it was an unsubscribe through a campaign's mail, which mail-unsubscribed shows); and per
    campaign mail: mail-sent, mail-failed (the send failed, or the provider reported a bounce or
    rejection after it was sent; with the reason), mail-unknown (a worker died while handing it
    over), mail-delivered, mail-opened and mail-clicked (every open and click of a person, the click
    with its URL), mail-complained (marked as spam) and mail-unsubscribed.

    Machine opens and clicks (K5: privacy proxies, security scanners, the hidden link) are not the
    person's activity and are left out; the campaign's results count them apart.

    Four queries however long the history: the suppression, the lead's newest messages (through the
    (lead, -created_at) index), their campaigns' names and links, their newest events (through the
    (message, occurred_at) index).
    """
    entries = [TimelineEntry(at=lead.created_at, kind="created", label=str(_("Lead created")))]
    mail_entries = _mail_entries(lead, limit)
    suppression = Suppression.objects.filter(tenant_id=lead.tenant_id, email_normalized=lead.email_normalized).first()
    if suppression is not None and not _told_by_a_campaign(suppression, mail_entries):
        entries.append(
            TimelineEntry(
                at=suppression.created_at,
                kind="unsubscribed",
                label=str(_("Unsubscribed")),
                detail=suppression.get_reason_display(),
            )
        )
    entries += mail_entries
    entries.sort(key=lambda entry: (entry.at, _STEP.get(entry.kind, 0)), reverse=True)
    return entries[:limit]


def _told_by_a_campaign(suppression: Suppression, mail_entries: list[TimelineEntry]) -> bool:
    """An unsubscribe through a campaign's link is already on the history with the campaign's name."""
    if suppression.reason != SuppressionReason.UNSUBSCRIBED or not suppression.source.startswith("campaign:"):
        return False
    return any(
        entry.kind == "mail-unsubscribed" and suppression.source == f"campaign:{entry.campaign_id}"
        for entry in mail_entries
    )


_MESSAGE_LABELS = {
    MessageStatus.SENT: _("Mail sent"),
    MessageStatus.FAILED: _("Mail could not be delivered"),
    MessageStatus.UNKNOWN: _("Mail may not have been sent"),
}


def _mail_entries(lead: Lead, limit: int) -> list[TimelineEntry]:
    """Campaign mail to this lead and what became of it (S7, K1–K4)."""
    messages = list(
        Message.objects.filter(lead=lead, status__in=list(_MESSAGE_LABELS))
        .order_by("-created_at")
        .only(
            "id",
            "campaign_id",
            "status",
            "error",
            "created_at",
            "claimed_at",
            "sent_at",
            "delivered_at",
            "unsubscribed_at",
        )[:limit]
    )
    if not messages:
        return []
    campaigns = {
        campaign.pk: campaign
        for campaign in Campaign.objects.filter(pk__in={message.campaign_id for message in messages}).only(
            "id", "name", "link_urls"
        )
    }
    entries: list[TimelineEntry] = []
    for message in messages:
        campaign = campaigns[message.campaign_id]
        status_label = str(_MESSAGE_LABELS[message.status])
        if message.status == MessageStatus.SENT:
            entries.append(_entry(campaign, message.sent_at or message.created_at, "mail-sent", status_label))
        else:  # failed or unknown: when it was last handed over
            at = message.claimed_at or message.created_at
            entries.append(_entry(campaign, at, f"mail-{message.status}", status_label, detail=message.error))
        if message.delivered_at is not None:
            entries.append(_entry(campaign, message.delivered_at, "mail-delivered", str(_("Mail delivered"))))
        if message.unsubscribed_at is not None:
            entries.append(_entry(campaign, message.unsubscribed_at, "mail-unsubscribed", str(_("Unsubscribed"))))
    entries += _event_entries({message.pk: campaigns[message.campaign_id] for message in messages}, limit)
    return entries


_TIMELINE_EVENTS = Q(kind__in=[EventKind.OPENED, EventKind.CLICKED], machine=False) | Q(
    kind__in=[EventKind.BOUNCED, EventKind.REJECTED, EventKind.COMPLAINED]
)


def _event_entries(campaign_of_message: dict[int, Campaign], limit: int) -> list[TimelineEntry]:
    """A person's opens and clicks, bounces, rejections and complaints: the newest `limit` of them."""
    events = (
        Event.objects.filter(message_id__in=list(campaign_of_message))
        .filter(_TIMELINE_EVENTS)
        .order_by("-occurred_at", "-id")
        .only("id", "message_id", "kind", "link_number", "detail", "occurred_at")[:limit]
    )
    entries = []
    for event in events:
        campaign = campaign_of_message[event.message_id]
        at = event.occurred_at
        if event.kind == EventKind.OPENED:
            entries.append(_entry(campaign, at, "mail-opened", str(_("Opened"))))
        elif event.kind == EventKind.CLICKED:
            url = _link_url(campaign, event.link_number)
            entries.append(_entry(campaign, at, "mail-clicked", str(_("URL clicked")), url=url))
        elif event.kind == EventKind.COMPLAINED:
            entries.append(_entry(campaign, at, "mail-complained", str(_("Marked as spam"))))
        else:  # bounced or rejected after it was sent: the provider's reason, or which of the two
            detail = event.detail or str(event.get_kind_display())
            entries.append(
                _entry(campaign, at, "mail-failed", str(_MESSAGE_LABELS[MessageStatus.FAILED]), detail=detail)
            )
    return entries


def _entry(campaign: Campaign, at: datetime, kind: str, label: str, **fields: str) -> TimelineEntry:
    return TimelineEntry(at=at, kind=kind, label=label, campaign_name=campaign.name, campaign_id=campaign.pk, **fields)


def _link_url(campaign: Campaign, link_number: int | None) -> str:
    links = campaign.link_urls if isinstance(campaign.link_urls, list) else []
    if link_number is None or not 1 <= link_number <= len(links):
        return ""
    return str(links[link_number - 1])


def is_suppressed(tenant: Tenant, email_normalized: str) -> bool:
    return Suppression.objects.for_tenant(tenant).filter(email_normalized=email_normalized).exists()


# Lead lists


def leads_matching(tenant: Tenant, lead_filter: object) -> QuerySet[Lead]:
    """The tenant's leads the filter matches now, newest first; raises FilterError for a bad filter."""
    return Lead.objects.for_tenant(tenant).filter(compile_filter(lead_filter, tenant)).order_by("-created_at", "-id")


def resolve_list(lead_list: LeadList) -> QuerySet[Lead]:
    """The leads a saved list stands for now (evaluated each time); FilterError if it became invalid."""
    return leads_matching(lead_list.tenant, lead_list.filter)


@dataclass(frozen=True)
class LeadListSummary:
    """A list with its count computed now, or the error that makes its filter unusable."""

    lead_list: LeadList
    count: int | None
    error: str = ""


def summarize_list(lead_list: LeadList) -> LeadListSummary:
    try:
        return LeadListSummary(lead_list, resolve_list(lead_list).count())
    except FilterError as error:
        return LeadListSummary(lead_list, None, error.message)


def lead_lists_for_index(tenant: Tenant) -> QuerySet[LeadList]:
    return LeadList.objects.for_tenant(tenant).select_related("tenant").order_by("-updated_at", "-id")
