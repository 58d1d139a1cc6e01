"""Stored hostile values (tests/data/hostile_values.jsonl) shown in Chromium: no script of theirs runs.

Leads, a lead list, templates, a sent campaign (with its notification and a bounce on the lead's
history) and a draft hold the corpus's markup; the lead index, a lead's page and its edit form, the
lead list screens, the template screens and the campaign pages are loaded. The payloads set
window.__pwned or call alert(); the test asserts window.__pwned stays undefined and no dialog opens.
The Content Security Policy is switched off here, so what is proven is the escaping itself (the policy
is a second wall, tested with the security settings).
"""

from __future__ import annotations

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.test import Client
from django.utils import timezone

from campaigns.models import Message
from leads.models import Lead
from leads.services import create_lead_list
from notifications.models import Notification
from templates_app.services import create_template
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, send_in_process
from tests.e2e.conftest import log_in
from tests.test_hostile_inputs import hostile_values
from tracking.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


def payloads() -> list[str]:
    """The corpus's values that carry markup and fit every field they are put in."""
    return [h.value for h in hostile_values() if "<" in h.value and len(h.value) <= 100 and h.value.isprintable()]


@pytest.fixture
def hostile_world(tenant_a, bob, settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if not name.startswith("csp.")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SENDING_RATE_PER_DOMAIN = 100_000
    make_ready_to_send(tenant_a)
    values = payloads()
    for number, value in enumerate(values):
        factories.make_lead(
            tenant_a,
            email=f"xss{number}@example.jp",
            company_name=value,
            last_name=value,
            first_name=value,
            department=value,
            title=value,
            industry="hostile",
            website=value,
            tags=[value[:50]],
        )
    featured = Lead.objects.for_tenant(tenant_a).get(email="xss0@example.jp")
    lead_list = create_lead_list(
        tenant=tenant_a,
        name=values[1],
        filter={"all": [{"field": "company_name", "op": "contains", "value": values[0]}]},
        created_by=bob,
    )
    for value in values[:30]:
        create_lead_list(tenant=tenant_a, name=value, filter={"all": [{"field": "title", "op": "eq", "value": value}]})
        create_template(tenant_a, bob, name=value, subject="{{CompanyName}}様", body_html=value)
    sent = make_campaign(
        tenant_a, bob, lead_list=lead_list, name=values[2], from_name=values[3], subject="{{CompanyName}}様へ",
        notify_open=True, notify_click=True,
    )  # fmt: skip
    sent = send_in_process(sent)
    message = Message.objects.get(campaign=sent, lead=featured)
    Client(HTTP_USER_AGENT=DESKTOP_CHROME).get(f"/t/o/{message.token}.gif")  # a person's open: a notification
    tracking.send(  # a bounce whose provider text is hostile, on the lead's history
        sender=object,
        event=AnymailTrackingEvent(
            event_type="bounced",
            message_id=message.provider_message_id or "none",
            event_id="xss-bounce",
            timestamp=timezone.now(),
            recipient=featured.email,
            description=values[4],
        ),
        esp_name="TestESP",
    )
    draft = make_campaign(
        tenant_a, bob, lead_list=lead_list, name=values[5], subject=values[6], from_name=values[7],
        body_html=f"<p>{values[8]}</p><p>{{{{Unsubscribe:{values[9]}}}}}</p>",
    )  # fmt: skip
    template = create_template(tenant_a, bob, name="XSSテンプレート", subject=values[10], body_html=values[11])
    assert Notification.objects.filter(lead=featured).exists()
    assert Event.objects.filter(message=message, kind="bounced").exists()
    return {"lead": featured, "list": lead_list, "sent": sent, "draft": draft, "template": template}


def test_the_detector_notices_a_script_that_runs(page):
    page.set_content('<img src="data:," onerror="window.__pwned=1">')
    page.wait_for_function("window.__pwned === 1")


def test_no_stored_value_runs_a_script_on_any_screen(page, hostile_world, bob):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, bob.email)
    world = hostile_world
    urls = [
        "/leads/",
        "/leads/?page=2",
        f"/leads/{world['lead'].pk}/",
        f"/leads/{world['lead'].pk}/edit/",
        "/leads/lists/",
        f"/leads/lists/{world['list'].pk}/",
        f"/leads/lists/{world['list'].pk}/edit/",
        "/templates/",
        f"/templates/{world['template'].pk}/edit/",
        "/campaigns/",
        f"/campaigns/{world['sent'].pk}/",
        f"/campaigns/{world['draft'].pk}/edit/",
        f"/campaigns/{world['draft'].pk}/confirm/",
        "/notifications/",
    ]
    ran = []
    for url in urls:
        response = page.goto(f"{page.base_url}{url}")
        assert response.status == 200, url
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # htmx swaps and autofocus handlers
        if page.evaluate("window.__pwned") is not None:
            ran.append(url)
        assert "__pwned" in page.content(), f"{url} shows no stored value"  # as text or in a field
    assert not ran, f"a stored value ran a script on {ran}"
    assert not dialogs, f"a stored value opened dialogs: {dialogs[:5]}"
