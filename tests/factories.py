"""Builders for test data. Every test world has two tenants (see conftest)."""

from __future__ import annotations

import itertools

from accounts.models import Role, Tenant, User
from leads.models import Lead, LeadList
from leads.services import create_lead

_sequence = itertools.count(1)
PASSWORD = "Okuru-test-pass-2026"


def make_tenant(name: str = "テスト株式会社", *, mail_plan: bool = True) -> Tenant:
    return Tenant.objects.create(name=name, has_mail_plan=mail_plan)


def make_user(tenant: Tenant, *, role: str = Role.REP, email: str | None = None, name: str = "") -> User:
    email = email or f"user{next(_sequence)}@example.com"
    return User.objects.create_user(email=email, password=PASSWORD, tenant=tenant, role=role, name=name)


def make_lead(tenant: Tenant, **fields) -> Lead:
    number = next(_sequence)
    fields.setdefault("email", f"lead{number}@example.co.jp")
    fields.setdefault("company_name", f"株式会社テスト{number}")
    fields.setdefault("last_name", "山田")
    fields.setdefault("first_name", "太郎")
    return create_lead(tenant=tenant, **fields)


def make_lead_list(tenant: Tenant, *, name: str = "テストリスト", filter: dict | None = None) -> LeadList:
    return LeadList.objects.create(tenant=tenant, name=name, filter=filter or {"all": []})


def make_template(tenant: Tenant, **fields):
    """A saved mail template (T1), stored through the service like every other template."""
    from templates_app.services import create_template

    number = next(_sequence)
    fields.setdefault("name", f"テンプレート{number}")
    fields.setdefault("subject", "{{CompanyName}} 様へのご案内")
    fields.setdefault("body_html", "<p>{{FullName}} 様</p><p>いつもお世話になっております。</p>")
    return create_template(tenant, fields.pop("created_by", None), **fields)
