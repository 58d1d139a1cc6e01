"""Reads for saved mail templates (T1)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Tenant
from templates_app.models import EmailTemplate

SEARCH_MAX_WORDS = 5


def templates_for_index(tenant: Tenant, search: str = "") -> QuerySet[EmailTemplate]:
    """The tenant's templates by name; every word of `search` must occur in the name (case-insensitive)."""
    templates = EmailTemplate.objects.for_tenant(tenant)
    for word in search.split()[:SEARCH_MAX_WORDS]:
        if "\x00" in word:  # no stored name holds NUL (PostgreSQL refuses it): the word matches nothing
            return templates.none()
        templates = templates.filter(name__icontains=word)
    return templates.order_by("name", "id")
