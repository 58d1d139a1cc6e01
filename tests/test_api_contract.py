"""The API keeps its OpenAPI contract: schemathesis over /api/schema/ against the app in this process.

How it runs: the schema is loaded from the Django WSGI application (`schemathesis.openapi.from_wsgi`, at
import), and every generated request goes through that WSGI application in-process — no server, no socket.
pytest-django's test transaction is shared with the requests (same thread, same connection), so each
operation starts from the same world and everything it writes is rolled back afterwards. Django's own test
client works the same way; like it, we keep `close_old_connections` from closing the connection between
requests (it would end the test's transaction).

Each operation (one pytest item each) gets a world of its own: Bob the rep with a sent campaign that a person
opened and clicked (so Bob has notifications), a draft, a scheduled and a paused campaign, a lead list with
leads, a template — and Alice's campaign, which Bob must not see. Requests carry Bob's token; the admin-only
mail settings carry Alice's. Generated `{id}`s are nearly always unknown (they must answer the documented 404),
so every case is sent again with one of the world's real ids (each in turn), which holds the 200 answers with
real data to the schema as well; every other such request carries Mary's token (a manager: she sees all
campaigns, and changing Bob's answers 403).

Checks, on every response: no 500 (`not_a_server_error`), a documented status code, a documented content
type, and a body that matches the documented schema. Schemathesis generates valid and invalid input
(positive and negative modes) and also tries methods the path does not allow (405). Hypothesis runs
derandomized with a small budget per operation and no example database, so `make test` stays quick and
every run is the same.

Not checked here: `positive_data_acceptance` (the schema cannot express every rule of the services, e.g. a
From address on a registered sender domain or a known merge tag, so valid-looking input may rightly be
refused), `negative_data_rejection` (DRF coerces by design: 0 becomes "0" for a text field and false for a
boolean, an empty query parameter counts as absent, so some schema-violating input is rightly accepted),
and the stateful link checks (`use_after_free`, `ensure_resource_availability`; the schema has no
OpenAPI links). No operation is excluded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaigns import services
from config.wsgi import application
from leads.models import Lead
from notifications.models import Notification
from tests import factories
from tests.campaign_world import make_campaign, token_of

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "20"))  # more for a deeper run by hand, e.g. 200
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@dataclass
class World:
    rep_token: str
    manager_token: str
    admin_token: str
    ids: dict[str, list[int]]  # path prefix -> real ids of that kind of object
    turn: int = 0


@pytest.fixture
def world(tenant_a, alice, bob, mary, charlie, sent_campaign, draft, ready_list) -> World:
    sent_campaign.notify_click = True
    sent_campaign.save(update_fields=["notify_click"])
    token = token_of(sent_campaign, "yamada@aozora.example")
    for path in (f"/t/o/{token}.gif", f"/t/c/{token}/1/"):  # a person opens and clicks: Bob is notified
        Client().get(path, HTTP_USER_AGENT=BROWSER)
    scheduled = services.schedule_campaign(
        make_campaign(tenant_a, bob, lead_list=ready_list, name="予約済み"), timezone.now() + timedelta(days=1)
    )
    paused = services.request_send(make_campaign(tenant_a, bob, lead_list=ready_list, name="一時停止中"))
    paused = services.pause_sending(services.start_sending(paused.pk))
    alices = make_campaign(tenant_a, alice, lead_list=ready_list, name="管理者のキャンペーン")
    template = factories.make_template(tenant_a, created_by=bob)
    return World(
        rep_token=Token.objects.create(user=bob).key,
        manager_token=Token.objects.create(user=mary).key,
        admin_token=Token.objects.create(user=alice).key,
        ids={
            "/api/v1/leads/": [Lead.objects.for_tenant(tenant_a).order_by("pk").first().pk],
            "/api/v1/lead-lists/": [ready_list.pk],
            "/api/v1/templates/": [template.pk],
            "/api/v1/campaigns/": [draft.pk, sent_campaign.pk, scheduled.pk, paused.pk, alices.pk],
            "/api/v1/notifications/": list(Notification.objects.filter(recipient=bob).values_list("pk", flat=True)),
        },
    )


@pytest.fixture
def in_process_world(world):
    """From here on, requests through the WSGI app keep the test's connection and transaction.

    Only after the world is built: Django's test client, used to build it, reconnects the signal after each
    of its requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield world
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def with_a_real_id(case, world: World) -> dict[str, str] | None:
    """The case's path parameters with one of the world's ids, taking each in turn (the cases are derandomized)."""
    if "id" not in (case.path_parameters or {}):
        return None
    for prefix, ids in world.ids.items():
        if case.path.startswith(prefix) and ids:
            world.turn += 1
            return {**case.path_parameters, "id": str(ids[world.turn % len(ids)])}
    return None


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),  # function-scoped fixtures are meant: one world per operation
    phases=[Phase.explicit, Phase.generate],  # the schema's examples, then generated cases; no shrinking
)
def test_api_keeps_its_contract(case, in_process_world: World):
    world = in_process_world
    token = world.admin_token if case.path.startswith("/api/v1/settings/") else world.rep_token
    headers = {"Authorization": f"Token {token}"}
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    if response.status_code == 405:  # a method the path does not take (schemathesis tries them): so for any id
        return
    path_parameters = with_a_real_id(case, world)
    if path_parameters is not None:
        case.path_parameters = path_parameters
        if world.turn % 2 and token == world.rep_token:  # Mary the manager sees Bob's campaigns, may not change them
            headers = {"Authorization": f"Token {world.manager_token}"}
        case.call_and_validate(headers=headers, checks=CHECKS)


OPERATIONS = [
    (method, path)
    for path, operations in schema.raw_schema["paths"].items()
    for method in operations
    if method in ("get", "post", "patch", "delete")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_without_a_token_answers_401_json(method, path):
    response = getattr(Client(), method)(path.replace("{id}", "1"))
    assert response.status_code == 401, (method, path, response.status_code)
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated" and response["WWW-Authenticate"] == "Token"


def test_the_schema_covers_the_whole_contract():
    """SPEC's table, route by route and method by method (schemathesis holds each one to its schema above)."""
    contract = {
        "/api/v1/leads/": {"get", "post"},
        "/api/v1/leads/{id}/": {"get", "patch", "delete"},
        "/api/v1/leads/{id}/events/": {"get"},
        "/api/v1/leads/import/": {"post"},
        "/api/v1/lead-lists/": {"get", "post"},
        "/api/v1/lead-lists/{id}/": {"get", "patch", "delete"},
        "/api/v1/lead-lists/{id}/leads/": {"get"},
        "/api/v1/lead-lists/preview/": {"post"},
        "/api/v1/templates/": {"get", "post"},
        "/api/v1/templates/{id}/": {"get", "patch", "delete"},
        "/api/v1/campaigns/": {"get", "post"},
        "/api/v1/campaigns/{id}/": {"get", "patch", "delete"},
        "/api/v1/campaigns/{id}/preview/": {"get"},
        "/api/v1/campaigns/{id}/test-send/": {"post"},
        "/api/v1/campaigns/{id}/send/": {"post"},
        "/api/v1/campaigns/{id}/schedule/": {"post"},
        "/api/v1/campaigns/{id}/cancel/": {"post"},
        "/api/v1/campaigns/{id}/pause/": {"post"},
        "/api/v1/campaigns/{id}/resume/": {"post"},
        "/api/v1/campaigns/{id}/stats/": {"get"},
        "/api/v1/notifications/": {"get"},
        "/api/v1/notifications/{id}/read/": {"post"},
        "/api/v1/settings/mail/": {"get", "patch"},
    }
    paths = schema.raw_schema["paths"]
    for path, methods in contract.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, methods - set(paths[path]))
    campaign = schema.raw_schema["components"]["schemas"]["Campaign"]["properties"]
    assert {
        *("name", "subject", "body_html", "lead_list", "from_name", "from_email", "reply_to", "no_reply_to"),
        *("notify_open", "notify_click", "salesforce_sync", "status", "scheduled_at"),
    } <= set(campaign)


def test_the_docs_page_runs_on_local_assets_only(db):
    """Swagger UI from drf-spectacular-sidecar, served by whitenoise; no CDN, no inline script (CSP)."""
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 4 and all(url.startswith(("/static/", "/api/docs/")) for url in assets), assets
    assert not re.search(r"<script>(?!</script>)", html), "inline script"
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/", "/api/v2/leads/", "/api/v1/nothing/", "/api/v1/leads/abc/", "/api/v1/leads"])
def test_unknown_api_urls_answer_json_404_never_html(path, bob_api):
    for method in ("get", "post", "delete"):
        response = getattr(bob_api, method)(path)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": response.json()["detail"], "code": "not_found"}


@pytest.mark.django_db
def test_page_size_goes_up_to_500(bob_api, tenant_a):
    Lead.objects.bulk_create(
        Lead(tenant=tenant_a, email=f"p{number}@example.jp", email_normalized=f"p{number}@example.jp")
        for number in range(501)
    )
    body = bob_api.get("/api/v1/leads/", {"page_size": 1000}).json()
    assert body["count"] == 501 and len(body["results"]) == 500 and "page=2" in body["next"]
    assert set(body) == {"count", "next", "previous", "results"} and body["previous"] is None
    assert len(bob_api.get("/api/v1/leads/", {"page_size": 7}).json()["results"]) == 7
    assert len(bob_api.get("/api/v1/leads/", {"page_size": 0}).json()["results"]) == 50  # the default


@pytest.mark.django_db
def test_a_body_that_is_not_json_answers_415_json(bob_api):
    response = bob_api.post("/api/v1/leads/", "email=a@example.jp", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert "415" in schema.raw_schema["paths"]["/api/v1/leads/"]["post"]["responses"]
