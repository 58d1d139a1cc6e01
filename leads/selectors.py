"""Reads for leads: the index query and the history timeline (L4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from campaigns.models import MessageStatus
from leads.filters import FilterError, compile_filter
from leads.models import Lead, LeadList, Suppression

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
        query &= (
            Q(company_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(email_normalized__icontains=word.lower())
        )
    return query


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a lead's history. Later issues add mail events through lead_timeline."""

    at: datetime
    kind: str
    label: str
    detail: str = ""
    campaign_name: str = ""


def lead_timeline(lead: Lead) -> list[TimelineEntry]:
    """The lead's history, newest first."""
    entries = [TimelineEntry(at=lead.created_at, kind="created", label=str(_("Lead created")))]
    suppression = Suppression.objects.for_tenant(lead.tenant).filter(email_normalized=lead.email_normalized).first()
    if suppression is not None:
        entries.append(
            TimelineEntry(
                at=suppression.created_at,
                kind="unsubscribed",
                label=str(_("Unsubscribed")),
                detail=suppression.get_reason_display(),
            )
        )
    entries += _mail_entries(lead)
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _mail_entries(lead: Lead) -> list[TimelineEntry]:
    """Campaign mail to this lead: sent, or failed with the provider's reason (S7)."""
    labels = {
        MessageStatus.SENT: _("Mail sent"),
        MessageStatus.FAILED: _("Mail could not be delivered"),
        MessageStatus.UNKNOWN: _("Mail may not have been sent"),
    }
    messages = lead.messages.filter(status__in=list(labels)).select_related("campaign").order_by("-created_at")
    return [
        TimelineEntry(
            at=message.sent_at or message.created_at,
            kind=f"mail-{message.status}",
            label=str(labels[message.status]),
            detail="" if message.status == MessageStatus.SENT else message.error,
            campaign_name=message.campaign.name,
        )
        for message in messages[:200]
    ]


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
