"""Writes for leads and the suppression list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.models import Tenant, User
from leads.addresses import normalize_email
from leads.filters import compile_filter
from leads.models import Lead, LeadList, Suppression, Tag

LEAD_PROFILE_FIELDS = (
    "company_name",
    "last_name",
    "first_name",
    "email",
    "phone",
    "department",
    "title",
    "industry",
    "prefecture",
    "employees",
    "website",
    "status",
    "owner",
)


def parse_tag_names(raw: str, *, limit: int | None = 50) -> list[str]:
    """Tags as typed in a form or a CSV cell: separated by `;` (also `；` and `,`).

    Each name is cut to `limit` characters (a tag's length); the form and the import check the
    names with limit=None first and refuse a longer one, so nothing they accept is cut."""
    for separator in ("；", ","):
        raw = raw.replace(separator, ";")
    names = [name.strip()[:limit] for name in raw.split(";")]
    return list(dict.fromkeys(name for name in names if name))


def tags_by_name(tenant: Tenant, names: Iterable[str]) -> dict[str, Tag]:
    """The tenant's tags with these names, created when missing (set-based, no per-tag query)."""
    names = set(names)
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(tenant=tenant, name=name) for name in names], ignore_conflicts=True)
    return {tag.name: tag for tag in Tag.objects.for_tenant(tenant).filter(name__in=names)}


@transaction.atomic
def create_lead(*, tenant: Tenant, tags: list[str] | None = None, **fields) -> Lead:
    lead = Lead(tenant=tenant, **{k: v for k, v in fields.items() if k in LEAD_PROFILE_FIELDS})
    lead.save()
    if tags:
        lead.tags.set(tags_by_name(tenant, tags).values())
    return lead


@transaction.atomic
def update_lead(*, lead: Lead, tags: list[str] | None = None, **fields) -> Lead:
    for name, value in fields.items():
        if name in LEAD_PROFILE_FIELDS:
            setattr(lead, name, value)
    lead.save()
    if tags is not None:
        lead.tags.set(tags_by_name(lead.tenant, tags).values())
    return lead


def delete_lead(*, lead: Lead) -> None:
    lead.delete()


def suppress_address(*, tenant: Tenant, email: str, reason: str, source: str = "") -> Suppression:
    """Put an address on the tenant's suppression list (L5); idempotent, first reason wins."""
    suppression, _created = Suppression.objects.get_or_create(
        tenant=tenant,
        email_normalized=normalize_email(email),
        defaults={"reason": reason, "source": source[:200]},
    )
    return suppression


# Lead lists


def create_lead_list(*, tenant: Tenant, name: str, filter: dict, created_by: User | None = None) -> LeadList:
    """Save a filter as a lead list (L3); an invalid filter raises leads.filters.FilterError."""
    compile_filter(filter, tenant)
    return LeadList.objects.create(tenant=tenant, name=name.strip(), filter=filter, created_by=created_by)


def update_lead_list(*, lead_list: LeadList, name: str | None = None, filter: dict | None = None) -> LeadList:
    if filter is not None:
        compile_filter(filter, lead_list.tenant)
        lead_list.filter = filter
    if name is not None:
        lead_list.name = name.strip()
    lead_list.save()
    return lead_list


def delete_lead_list(*, lead_list: LeadList) -> None:
    lead_list.delete()
