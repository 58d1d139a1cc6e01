"""Reads for leads: the index query and the history timeline (L4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from leads.models import Lead, Suppression

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
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def is_suppressed(tenant: Tenant, email_normalized: str) -> bool:
    return Suppression.objects.for_tenant(tenant).filter(email_normalized=email_normalized).exists()
