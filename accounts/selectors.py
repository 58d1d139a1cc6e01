"""Reads for a tenant's mail settings: sender domains (A4) and legal sender information (A5).

The composer and the send path ask these three questions: sender_domain_names(),
is_sender_address_allowed() and missing_legal_info().
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from accounts.models import SenderDomain, Tenant
from accounts.sender_domains import ascii_domain, normalize_sender_domain

LEGAL_INFO_FIELDS = ("legal_sender_name", "legal_postal_address", "legal_contact")


def sender_domain_names(tenant: Tenant) -> list[str]:
    """The tenant's registered sender domains (canonical lower-case Unicode form), alphabetically."""
    return list(SenderDomain.objects.for_tenant(tenant).order_by("domain").values_list("domain", flat=True))


def is_sender_address_allowed(tenant: Tenant, email: str) -> bool:
    """True when the address's domain is exactly one of the tenant's sender domains.

    Compared in canonical form (case, full-width characters and IDNA spelling do not matter);
    a registered domain does not allow its subdomains.
    """
    local_part, at, domain = unicodedata.normalize("NFKC", email or "").strip().rpartition("@")
    if not at or not local_part:
        return False
    try:
        domain = normalize_sender_domain(domain)
    except ValidationError:
        return False
    return SenderDomain.objects.for_tenant(tenant).filter(domain=domain).exists()


def missing_legal_info(tenant: Tenant) -> list[str]:
    """The translated labels of the legal sender fields (A5) still empty; an empty list when complete."""
    return [
        str(capfirst(Tenant._meta.get_field(name).verbose_name))
        for name in LEGAL_INFO_FIELDS
        if not (getattr(tenant, name) or "").strip()
    ]


def mail_settings(tenant: Tenant) -> dict:
    """The settings as the API shows them."""
    return {
        "sender_domains": sender_domain_names(tenant),
        "legal_sender_name": tenant.legal_sender_name,
        "legal_postal_address": tenant.legal_postal_address,
        "legal_contact": tenant.legal_contact,
        "send_rate_per_second": tenant.send_rate_per_second,
    }


@dataclass(frozen=True)
class SenderDomainRow:
    id: int
    domain: str
    ascii_domain: str  # what DNS records show for a Japanese domain (xn--...)
    created_at: datetime


def sender_domains_for_settings(tenant: Tenant) -> list[SenderDomainRow]:
    return [
        SenderDomainRow(id=row.pk, domain=row.domain, ascii_domain=ascii_domain(row.domain), created_at=row.created_at)
        for row in SenderDomain.objects.for_tenant(tenant).order_by("domain")
    ]
