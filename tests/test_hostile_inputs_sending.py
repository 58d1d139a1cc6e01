"""The hostile corpus as lead data that a campaign is really sent to (S1–S3, K1, N1, D2).

Every storable value becomes a lead's company, last and first name; a campaign whose subject and body
merge those fields is sent to all of them. Every mail goes out (none fails on a header), no subject or
sender header carries a line break, the HTML part shows the values escaped, and the pages that list the
recipients, their notifications and the results CSV show them safely.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io

import pytest

from campaigns.models import Message, MessageStatus
from leads.addresses import is_valid_email, normalize_email
from leads.csv_import import NEUTRALISED_PREFIXES
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, send_in_process
from tests.test_hostile_inputs import Findings, answers_500s, check_page, hostile_values, page_problems, shows_markup

pytestmark = pytest.mark.django_db

HEADERS = {
    "Content-Type",
    "MIME-Version",
    "Subject",
    "From",
    "To",
    "Reply-To",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
}
LEGAL_NAME = '株式会社<img src=x onerror="window.__pwned=1">'
LEGAL_ADDRESS = "東京都</title><script>window.__pwned=1</script>"
BODY = (
    "<p>{{CompanyName}} {{FullName}}様</p><p>{{LastName|ご担当者}} / {{FirstName}}</p>"
    '<p><a href="https://alpha.example/product">新製品</a></p><p>{{Unsubscribe:配信停止はこちら}}</p>'
)


def storable(value: str) -> str | None:
    """The value as a lead's name fields keep it (trimmed, at most 100 characters, no NUL or lone surrogate)."""
    value = value.strip()
    if not value or len(value) > 100 or "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        return None
    return value


@pytest.fixture
def hostile_campaign(tenant_a, bob, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://mail.okuru.example"
    settings.SENDING_RATE_PER_DOMAIN = 100_000
    make_ready_to_send(tenant_a)
    tenant_a.send_rate_per_second = 1000
    tenant_a.legal_sender_name = LEGAL_NAME  # in every mail's footer and on the unsubscribe page
    tenant_a.legal_postal_address = LEGAL_ADDRESS
    tenant_a.save()
    values = [(hostile, storable(hostile.value)) for hostile in hostile_values()]
    for hostile, value in values:
        if value is not None:
            factories.make_lead(
                tenant_a,
                email=f"send{hostile.number}@example.jp",
                company_name=value,
                last_name=value,
                first_name=value,
                industry="hostile",
            )
    for hostile in hostile_values():  # addresses that are valid once normalized (full-width ＠ ...) get mail too
        if storable(hostile.value) and is_valid_email(normalize_email(hostile.value)):
            factories.make_lead(tenant_a, email=hostile.value, company_name="株式会社", industry="hostile")
            values.append((hostile, "株式会社"))
    lead_list = factories.make_lead_list(
        tenant_a, name="<b>危険</b>なリスト", filter={"all": [{"field": "industry", "op": "eq", "value": "hostile"}]}
    )
    campaign = make_campaign(
        tenant_a,
        bob,
        lead_list=lead_list,
        name='<img src=x onerror="window.__pwned=1">キャンペーン',
        subject="{{CompanyName}} {{FullName}}様へ",
        body_html=BODY,
        from_name='"営業部" <script>window.__pwned=1</script>',
        notify_open=True,
    )
    return send_in_process(campaign), [value for _hostile, value in values if value is not None]


def test_a_campaign_to_hostile_leads_sends_every_mail_with_safe_headers(hostile_campaign, mailoutbox):
    campaign, values = hostile_campaign
    findings = Findings()
    statuses = dict(Message.objects.filter(campaign=campaign).values_list("email", "status"))
    findings.check(len(statuses) == len(values), "recipients", f"{len(statuses)} messages for {len(values)} leads")
    failed = {email: status for email, status in statuses.items() if status != MessageStatus.SENT}
    findings.check(not failed, "delivery", f"not sent: {list(failed.items())[:5]}")
    findings.check(len(mailoutbox) == len(values), "outbox", f"{len(mailoutbox)} mails")
    for mail in mailoutbox:
        parsed = email.message_from_bytes(mail.message().as_bytes(), policy=email.policy.default)
        extra = set(parsed.keys()) - HEADERS
        findings.check(not extra, mail.to[0], f"headers a value added: {extra}")
        for header in ("Subject", "From", "To", "Reply-To"):
            text = str(parsed[header] or "")  # unfolded and decoded
            findings.check("\n" not in text and "\r" not in text, mail.to[0], f"{header} has a line break")
        findings.check(len(mail.to) == 1 and not mail.bcc and not mail.cc, mail.to[0], "extra recipients")
        html = mail.alternatives[0][0]
        for problem in page_problems(html, [*values, LEGAL_NAME, LEGAL_ADDRESS]):
            findings.append(f"{mail.to[0]} HTML part: {problem}")
    findings.assert_none()


def test_pages_and_the_results_csv_of_a_hostile_campaign_show_values_safely(hostile_campaign, bob_client, client):
    campaign, values = hostile_campaign
    screens = answers_500s(bob_client)
    findings = Findings()
    marked = [value for value in values if shows_markup(value)]
    for token in Message.objects.filter(campaign=campaign).values_list("token", flat=True):
        findings.check(client.get(f"/t/o/{token}.gif").status_code == 200, token, "the open pixel failed")
    for url in (
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/?page=2",
        f"/campaigns/{campaign.pk}/?page=7",
        "/notifications/",
        "/notifications/menu/",
        "/leads/?page=1",
        "/leads/lists/",
        f"/leads/lists/{campaign.lead_list_id}/",
        f"/leads/{Message.objects.filter(campaign=campaign).first().lead_id}/",
    ):
        check_page(findings, screens.get(url), url, [*marked, campaign.name, campaign.from_name])
    token = Message.objects.filter(campaign=campaign).values_list("token", flat=True).first()
    check_page(findings, client.get(f"/u/{token}/"), "the unsubscribe page", [LEGAL_NAME, *marked])
    response = screens.get(f"/campaigns/{campaign.pk}/results.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    findings.check(len(rows) == len(values) + 1, "results CSV", f"{len(rows)} rows")
    for cell in (cell for row in rows for cell in row):
        findings.check(not cell.startswith(NEUTRALISED_PREFIXES), cell[:60], "results CSV: a formula cell")
    findings.assert_none()


def test_links_made_of_hostile_values_redirect_only_where_the_body_points(tenant_a, bob, settings, client):
    """Each value as a link of the body, alone and inside an https URL: the cleaner keeps http(s) and mailto
    links only; every kept link's click answers 302 to exactly that link, with no line break in Location."""
    from html import escape

    from campaigns.body_html import clean_body_html

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SENDING_RATE_PER_DOMAIN = 100_000
    make_ready_to_send(tenant_a)
    factories.make_lead(tenant_a, email="links@example.jp", industry="links")
    lead_list = factories.make_lead_list(
        tenant_a, filter={"all": [{"field": "industry", "op": "eq", "value": "links"}]}
    )
    links = []
    for hostile in hostile_values():
        if storable(hostile.value) and "{{" not in hostile.value and "}}" not in hostile.value:  # no tags in URLs
            links.append(f'<a href="{escape(hostile.value)}">a</a>')
            links.append(f'<a href="https://alpha.example/{escape(hostile.value)}">b</a>')
    body = "<p>" + " ".join(links) + "</p><p>{{Unsubscribe:配信停止}}</p>"
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=lead_list, body_html=clean_body_html(body)))
    token = Message.objects.get(campaign=campaign).token
    findings = Findings()
    findings.check(len(campaign.link_urls) >= 200, "links", f"only {len(campaign.link_urls)} links tracked")
    for problem in page_problems(campaign.body_html):
        findings.append(f"the cleaned body keeps {problem}")
    for number, url in enumerate(campaign.link_urls, start=1):
        findings.check(url.lower().startswith(("http://", "https://", "mailto:")), url[:60], "a link kept")
        response = answers_500s(client).get(f"/t/c/{token}/{number}/")
        if findings.check(response.status_code == 302, url[:60], f"click answered {response.status_code}"):
            location = response["Location"]
            findings.check("\n" not in location and "\r" not in location, url[:60], "a line break in Location")
    findings.assert_none()
