"""Tenant isolation over every URL of the project (A3).

The URL patterns are read from the resolver, so a new route is covered the day it is added:
a route with an id parameter this module does not know fails the test until it is mapped.
Charlie (tenant B) tries every route with tenant A's ids and must get 403/404 for each, must
read none of tenant A's data on routes without ids, and must change nothing.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import SenderDomain
from campaigns.models import Campaign, Message
from leads.models import Lead, LeadList
from notifications.models import Notification
from templates_app.models import EmailTemplate
from tests import factories
from tests.campaign_world import make_campaign

SECRET_COMPANY = "アルファ秘密顧客株式会社"
SECRET_LIST = "アルファ秘密リスト"
SKIPPED_NAMESPACES = {"admin"}
UNSAFE_METHODS = ("post", "patch", "delete")


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            child_namespace = entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), child_namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry.name or "", entry


def route_objects(tenant_a_world):
    """Which of tenant A's objects an id parameter stands for, by route name and parameter."""
    lead, lead_list, user = tenant_a_world
    by_route_prefix = {
        "lead-list": lead_list.pk,
        "leadlist": lead_list.pk,
        "lead": lead.pk,
    }
    by_parameter = {"lead_id": lead.pk, "list_id": lead_list.pk, "user_id": user.pk, "link_number": 1}
    by_parameter["domain_id"] = SenderDomain.objects.for_tenant(lead.tenant).get().pk
    by_route_prefix["template"] = by_parameter["template_id"] = EmailTemplate.objects.for_tenant(lead.tenant).get().pk
    by_route_prefix["campaign"] = by_parameter["campaign_id"] = Campaign.objects.for_tenant(lead.tenant).get().pk
    notification = Notification.objects.get(tenant=lead.tenant)
    by_route_prefix["notification"] = by_parameter["notification_id"] = notification.pk
    return by_route_prefix, by_parameter


def concrete_path(route: str, name: str, entry: URLPattern, mapping) -> str | None:
    """The route with tenant A's ids filled in; None for routes without parameters."""
    by_route_prefix, by_parameter = mapping
    parameters = list(entry.pattern.regex.groupindex)
    if not parameters:
        return None
    values = {}
    for parameter in parameters:
        if parameter in by_parameter:
            values[parameter] = by_parameter[parameter]
        elif parameter == "pk":
            prefix = next((p for p in sorted(by_route_prefix, key=len, reverse=True) if name.startswith(p)), None)
            assert prefix, f"route {name} ({route}) has a pk this test does not know: map it in route_objects()"
            values[parameter] = by_route_prefix[prefix]
        elif parameter == "format":
            values[parameter] = "json"
        elif parameter == "token":
            values[parameter] = "unknown-token-of-another-session"
        elif parameter == "key":  # the DEBUG-only outbox's mail key: not tenant data, and a 404 without DEBUG
            values[parameter] = "1700000000.M1P1Q1.no-such-mail"
        else:
            pytest.fail(f"route {name} ({route}) has parameter {parameter!r}: map it in route_objects()")
    return _fill(route, values)


def _fill(route: str, values: dict) -> str:
    def replace(match):
        return str(values[match.group(1)])

    path = re.sub(r"<(?:\w+:)?(\w+)>", replace, route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", replace, path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\.", ".").replace("/$", "/")


@pytest.fixture
def tenant_a_world(tenant_a, alice, bob):
    lead = factories.make_lead(tenant_a, company_name=SECRET_COMPANY, email="secret@alpha-customer.jp")
    lead_list = factories.make_lead_list(tenant_a, name=SECRET_LIST)
    SenderDomain.objects.create(tenant=tenant_a, domain="alpha-secret.example.jp")
    factories.make_template(tenant_a, name="アルファ秘密テンプレート")
    campaign = make_campaign(tenant_a, bob, name="アルファ秘密キャンペーン", lead_list=lead_list)
    message = Message.objects.create(
        tenant=tenant_a, campaign=campaign, lead=lead, email=lead.email, email_normalized=lead.email, token="f" * 32
    )
    Notification.objects.create(
        tenant=tenant_a, recipient=bob, campaign=campaign, message=message, lead=lead, kind="opened",
        created_at=campaign.created_at,
    )  # fmt: skip
    return lead, lead_list, bob


def all_routes():
    return [
        (route, namespace, name, entry)
        for route, namespace, name, entry in walk(get_resolver().url_patterns)
        if namespace not in SKIPPED_NAMESPACES
    ]


def snapshot(tenant):
    return (
        list(Lead.objects.for_tenant(tenant).order_by("pk").values()),
        list(LeadList.objects.for_tenant(tenant).order_by("pk").values()),
        list(EmailTemplate.objects.for_tenant(tenant).order_by("pk").values()),
        list(Campaign.objects.for_tenant(tenant).order_by("pk").values()),
        list(tenant.users.order_by("pk").values("pk", "email", "role", "is_active", "name")),
    )


@pytest.mark.django_db
def test_every_route_with_ids_refuses_another_tenant(tenant_a_world, tenant_a, charlie_client, charlie_api):
    mapping = route_objects(tenant_a_world)
    before = snapshot(tenant_a)
    checked = 0
    for route, _namespace, name, entry in all_routes():
        path = concrete_path(route, name, entry, mapping)
        if path is None:
            continue
        client = charlie_api if path.startswith("/api/") else charlie_client
        for method in ("get", *UNSAFE_METHODS):
            response = getattr(client, method)(path)
            if response.status_code == 405:
                continue
            assert response.status_code in (403, 404), f"{method.upper()} {path} answered {response.status_code}"
            checked += 1
    assert checked >= 10
    assert snapshot(tenant_a) == before


@pytest.mark.django_db
def test_routes_without_ids_show_nothing_of_another_tenant(tenant_a_world, tenant_a, charlie_client, charlie_api):
    before = snapshot(tenant_a)
    for route, _namespace, _name, entry in all_routes():
        if entry.pattern.regex.groupindex or "<" in route:
            continue
        path = _fill(route, {})
        client = charlie_api if path.startswith("/api/") else charlie_client
        response = client.get(path, follow=True)
        assert response.status_code < 500, f"GET {path} answered {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        assert SECRET_COMPANY not in text, f"GET {path} showed tenant A's lead"
        assert SECRET_LIST not in text, f"GET {path} showed tenant A's list"
        assert "alice@alpha.example" not in text, f"GET {path} showed tenant A's user"
    assert snapshot(tenant_a) == before


@pytest.mark.django_db
def test_api_token_of_another_tenant_cannot_reach_objects_by_id(tenant_a_world, charlie_api):
    lead, _lead_list, _user = tenant_a_world
    assert charlie_api.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert charlie_api.patch(f"/api/v1/leads/{lead.pk}/", {"company_name": "x"}, format="json").status_code == 404
    assert charlie_api.delete(f"/api/v1/leads/{lead.pk}/").status_code == 404
    lead.refresh_from_db()
    assert lead.company_name == SECRET_COMPANY
