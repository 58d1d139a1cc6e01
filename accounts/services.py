"""Writes for tenants and users."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import Role, Tenant, User


@transaction.atomic
def create_tenant(*, name: str, admin_email: str, password: str, mail_plan: bool) -> tuple[Tenant, User, str]:
    """A new company with its first admin; returns the admin's API token key too."""
    tenant = Tenant.objects.create(name=name, has_mail_plan=mail_plan)
    admin = create_user(tenant=tenant, email=admin_email, password=password, role=Role.ADMIN)
    token, _created = Token.objects.get_or_create(user=admin)
    return tenant, admin, token.key


def create_user(*, tenant: Tenant, email: str, password: str, role: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=password, tenant=tenant, role=role, name=name)


def update_user(*, user: User, name: str, role: str, is_active: bool) -> User:
    user.name = name
    user.role = role
    user.is_active = is_active
    user.save(update_fields=["name", "role", "is_active"])
    return user
