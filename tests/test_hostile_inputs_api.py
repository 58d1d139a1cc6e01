"""The hostile corpus through every text field of the REST API (I2): leads, lead lists and their filter
values, templates, campaigns, test sends and the mail settings.

DRF's text fields trim surrounding whitespace (documented normalisation) and refuse NUL and lone
surrogates; everything else a field accepts is read back unchanged. A refusal is a 400 whose body
names exactly the refused fields. See test_hostile_inputs.py for the corpus and helpers.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Tenant
from accounts.sender_domains import normalize_sender_domain
from accounts.services import clean_legal_contact
from campaigns.body_html import clean_body_html
from campaigns.merge_tags import merge_tag_problems
from campaigns.models import Campaign
from campaigns.rendering import content_problems
from leads.addresses import is_valid_email, normalize_email, sendable_email
from leads.csv_import import TEXT_FIELDS
from leads.models import Lead, LeadList
from templates_app.models import EmailTemplate
from tests.campaign_world import make_campaign, make_ready_to_send
from tests.test_hostile_inputs import (
    Findings,
    answers_500s,
    has_lone_surrogate,
    hostile_values,
    page_problems,
    send_json,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(bob_api):
    return answers_500s(bob_api)


LEAD_TEXT_FIELDS = {name: Lead._meta.get_field(name).max_length for name in TEXT_FIELDS}  # the free-text ones


def drf_text(value: str, max_length: int | None, *, allow_blank: bool = True) -> tuple[bool, str]:
    """(accepted, stored) for a DRF CharField: trimmed; NUL, lone surrogates, too long or required-and-blank refused."""
    stored = value.strip()
    refused = (
        "\x00" in stored
        or has_lone_surrogate(stored)
        or (max_length is not None and len(stored) > max_length)
        or (not allow_blank and not stored)
    )
    return not refused, stored


def refused_fields(response) -> set[str]:
    body = response.json()
    return set(body) if isinstance(body, dict) else {"(not an object)"}


# ---------------------------------------------------------------------------------------------
# Leads


def read_back(api, url: str) -> dict[int, dict]:
    """Everything at a list URL, by id, read through the API in one request (page_size up to 500)."""
    body = api.get(url, {"page_size": 500}).json()
    assert body["next"] is None, "more than one page"
    return {item["id"]: item for item in body["results"]}


def test_lead_text_fields_store_or_name_each_hostile_value(api, tenant_a):
    findings = Findings()
    created: dict[int, tuple] = {}
    for hostile in hostile_values():
        expected = {name: drf_text(hostile.value, limit) for name, limit in LEAD_TEXT_FIELDS.items()}
        tag_ok, tag = drf_text(hostile.value, 50, allow_blank=False)
        payload = dict.fromkeys(LEAD_TEXT_FIELDS, hostile.value) | {"email": f"api{hostile.number}@example.jp"}
        payload["tags"] = [hostile.value]
        response = send_json(api, "post", "/api/v1/leads/", payload)
        wanted_refusals = {name for name, (ok, _stored) in expected.items() if not ok} | (set() if tag_ok else {"tags"})
        if response.status_code == 400:
            findings.check(refused_fields(response) == wanted_refusals, hostile, f"refused {response.json()}")
            for name in wanted_refusals:
                payload.pop(name)
            response = send_json(api, "post", "/api/v1/leads/", payload)
        if findings.check(response.status_code == 201, hostile, f"create answered {response.status_code}"):
            created[response.json()["id"]] = (hostile, expected, tag_ok, tag)
    leads = read_back(api, "/api/v1/leads/")
    for lead_id, (hostile, expected, tag_ok, tag) in created.items():
        stored = leads[lead_id]
        for name, (ok, value) in expected.items():
            if ok:
                findings.check(stored[name] == value, hostile, f"{name} read back as {stored[name]!r}")
        if tag_ok:
            findings.check(stored["tags"] == [tag], hostile, f"tags read back as {stored['tags']!r}")
    findings.assert_none()


def test_lead_email_is_stored_as_given_or_refused_by_name(api):
    findings = Findings()
    for hostile in hostile_values():
        ok, value = drf_text(hostile.value, 254, allow_blank=False)
        ok = ok and is_valid_email(normalize_email(value))
        response = send_json(api, "post", "/api/v1/leads/", {"email": hostile.value, "company_name": "株式会社"})
        if response.status_code == 400:
            findings.check(not ok and refused_fields(response) == {"email"}, hostile, f"refused {response.json()}")
        elif findings.check(response.status_code == 201 and ok, hostile, f"answered {response.status_code}"):
            lead = Lead.objects.get(pk=response.json()["id"])
            # documented: kept NFKC (a full-width address becomes the ASCII one it stands for), case kept
            findings.check(lead.email == sendable_email(value), hostile, f"email stored as {lead.email!r}")
            findings.check(lead.email_normalized == normalize_email(value), hostile, "normalized differently")
    findings.assert_none()


def test_lead_search_and_field_filters_take_any_value(api, tenant_a):
    findings = Findings()
    for hostile in hostile_values():
        params = {"search": hostile.value, "industry": hostile.value, "company_name": hostile.value}
        params["tag"] = hostile.value
        response = api.get(
            "/api/v1/leads/", {key: value.encode("utf-8", "surrogatepass") for key, value in params.items()}
        )
        if response.status_code == 400:  # a query parameter the API refuses (NUL): named in the answer
            findings.check(set(response.json()) <= set(params), hostile, f"list refused {response.json()}")
        else:
            findings.check(response.status_code == 200, hostile, f"list answered {response.status_code}")
        owner = api.get("/api/v1/leads/", {"owner": hostile.value.encode("utf-8", "surrogatepass")})
        findings.check(owner.status_code in (200, 400), hostile, f"owner filter answered {owner.status_code}")
        if owner.status_code == 400:
            findings.check(refused_fields(owner) == {"owner"}, hostile, f"owner refusal {owner.json()}")
    findings.assert_none()


# ---------------------------------------------------------------------------------------------
# Lead lists: the name and the filter's text values


def list_filter(value: str) -> dict:
    return {
        "all": [
            {"field": "company_name", "op": "contains", "value": value},
            {"field": "tags", "op": "in", "value": [value]},
        ]
    }


def filter_accepts(value: str) -> bool:
    """The filter language's rules for a text value (leads.filters.text_values): not blank, at most 500
    characters, no NUL and no lone surrogate; the value is stored as sent, untrimmed."""
    return bool(value.strip()) and len(value) <= 500 and "\x00" not in value and not has_lone_surrogate(value)


def test_lead_list_names_and_filter_values_store_or_name_each_value(api, tenant_a):
    findings = Findings()
    for hostile in hostile_values():
        name_ok, name = drf_text(hostile.value, 200, allow_blank=False)
        filter_ok = filter_accepts(hostile.value)
        wanted = (set() if name_ok else {"name"}) | (set() if filter_ok else {"filter"})
        payload = {"name": hostile.value, "filter": list_filter(hostile.value)}
        preview = send_json(api, "post", "/api/v1/lead-lists/preview/", {"filter": payload["filter"]})
        if filter_ok:
            findings.check(preview.status_code == 200, hostile, f"preview answered {preview.status_code}")
        else:
            findings.check(
                preview.status_code == 400 and preview.json().get("code") == "invalid_filter",
                hostile,
                f"preview answered {preview.status_code}",
            )
        response = send_json(api, "post", "/api/v1/lead-lists/", payload)
        if response.status_code == 400:
            findings.check(refused_fields(response) == wanted, hostile, f"refused {response.json()}")
            payload = {
                "name": payload["name"] if name_ok else f"リスト{hostile.number}",
                "filter": payload["filter"] if filter_ok else {"all": []},
            }
            response = send_json(api, "post", "/api/v1/lead-lists/", payload)
        else:
            findings.check(not wanted, hostile, f"accepted although {wanted} should be refused")
        if not findings.check(response.status_code == 201, hostile, f"create answered {response.status_code}"):
            continue
        stored = LeadList.objects.get(pk=response.json()["id"])
        if name_ok:
            findings.check(stored.name == name, hostile, f"name stored as {stored.name!r}")
        findings.check(stored.filter == payload["filter"], hostile, "filter stored differently")
    findings.assert_none()


# ---------------------------------------------------------------------------------------------
# Templates


def template_expectations(value: str, names_taken: set[str]) -> tuple[dict[str, str], set[str]]:
    """The stored name, subject and body, and the fields that must be refused.

    Documented normalisations: name and subject trimmed; the body reduced to the bleach allow-list
    (campaigns.body_html.clean_body_html), untrimmed before cleaning. Merge tags must parse
    (campaigns.merge_tags decides which tags exist); a subject is one line.
    """
    name_ok, name = drf_text(value, 200, allow_blank=False)
    subject_ok, subject = drf_text(value, 255)
    body_ok = "\x00" not in value and not has_lone_surrogate(value)
    body = clean_body_html(value) if body_ok else ""
    subject_ok = subject_ok and "\r" not in subject and "\n" not in subject
    subject_ok = subject_ok and not merge_tag_problems(subject, unsubscribe_allowed=False)
    body_ok = body_ok and not body_merge_problems(body)
    refused = {
        field
        for field, ok in (
            ("name", name_ok and name not in names_taken),
            ("subject", subject_ok),
            ("body_html", body_ok),
        )
        if not ok
    }
    return {"name": name, "subject": subject, "body_html": body}, refused


def body_merge_problems(body: str) -> list[str]:
    return content_problems(subject="", body_html=body).get("body_html", [])


BENIGN_TEMPLATE = {"name": None, "subject": "{{CompanyName}}様へ", "body_html": "<p>本文</p>"}


def test_template_fields_store_or_name_each_value(api, tenant_a):
    findings = Findings()
    names_taken: set[str] = set()
    for hostile in hostile_values():
        expected, refused = template_expectations(hostile.value, names_taken)
        payload = dict.fromkeys(expected, hostile.value)
        response = send_json(api, "post", "/api/v1/templates/", payload)
        if response.status_code == 400:
            findings.check(refused_fields(response) == refused, hostile, f"refused {response.json()}")
            for field in refused:
                payload[field] = BENIGN_TEMPLATE[field] or f"テンプレート{hostile.number}"
            response = send_json(api, "post", "/api/v1/templates/", payload)
        else:
            findings.check(not refused, hostile, f"accepted although {refused} should be refused")
        if not findings.check(response.status_code == 201, hostile, f"create answered {response.status_code}"):
            continue
        stored = EmailTemplate.objects.get(pk=response.json()["id"])
        names_taken.add(stored.name)
        for field, value in expected.items():
            if field not in refused:
                findings.check(getattr(stored, field) == value, hostile, f"{field} stored differently")
        for problem in page_problems(stored.body_html):
            findings.append(f"{hostile}: stored body keeps {problem}")
    findings.assert_none()


# ---------------------------------------------------------------------------------------------
# Campaigns and test sends


SENDER = {"from_email": "sales@alpha.example", "reply_to": "reply@alpha.example"}


def campaign_expectations(value: str) -> tuple[dict[str, str], set[str]]:
    """A draft is saved as given (C12) except what can never be stored: name required, at most 200; subject
    and sender name one line (they become mail headers); body cleaned to the allow-list. Trimmed."""
    name_ok, name = drf_text(value, 200, allow_blank=False)
    subject_ok, subject = drf_text(value, 255)
    from_ok, from_name = drf_text(value, 100)
    body_ok = "\x00" not in value and not has_lone_surrogate(value)
    subject_ok = subject_ok and "\r" not in subject and "\n" not in subject
    from_ok = from_ok and "\r" not in from_name and "\n" not in from_name
    expected = {
        "name": name,
        "subject": subject,
        "body_html": clean_body_html(value) if body_ok else "",
        "from_name": from_name,
    }
    refused = {
        field
        for field, ok in (("name", name_ok), ("subject", subject_ok), ("body_html", body_ok), ("from_name", from_ok))
        if not ok
    }
    return expected, refused


BENIGN_CAMPAIGN = {"name": "キャンペーン", "subject": "件名", "body_html": "<p>本文</p>", "from_name": "営業部"}


def test_campaign_fields_store_or_name_each_value(api, tenant_a, bob):
    findings = Findings()
    for hostile in hostile_values():
        expected, refused = campaign_expectations(hostile.value)
        payload = dict.fromkeys(expected, hostile.value) | SENDER
        response = send_json(api, "post", "/api/v1/campaigns/", payload)
        if response.status_code == 400:
            findings.check(refused_fields(response) == refused, hostile, f"refused {response.json()}")
            payload |= {field: BENIGN_CAMPAIGN[field] for field in refused}
            response = send_json(api, "post", "/api/v1/campaigns/", payload)
        else:
            findings.check(not refused, hostile, f"accepted although {refused} should be refused")
        if not findings.check(response.status_code == 201, hostile, f"create answered {response.status_code}"):
            continue
        campaign_id = response.json()["id"]
        stored = Campaign.objects.get(pk=campaign_id)
        for field, value in expected.items():
            if field not in refused:
                findings.check(getattr(stored, field) == value, hostile, f"{field} stored differently")
        if "{" in hostile.value or "<" in hostile.value or not hostile.value.isprintable():  # what rendering parses
            preview = api.get(f"/api/v1/campaigns/{campaign_id}/preview/")
            findings.check(preview.status_code == 200, hostile, f"preview answered {preview.status_code}")
        ok, address = drf_text(hostile.value, 254)
        ok = ok and (not address or is_valid_email(normalize_email(address)))  # checked as leads are
        addresses = dict.fromkeys(("from_email", "reply_to"), hostile.value)
        patched = send_json(api, "patch", f"/api/v1/campaigns/{campaign_id}/", addresses)
        if ok:
            findings.check(patched.status_code == 200, hostile, f"addresses answered {patched.status_code}")
        else:
            findings.check(
                patched.status_code == 400 and refused_fields(patched) == set(addresses),
                hostile,
                f"addresses: {patched.status_code} {patched.content[:200]!r}",
            )
    findings.assert_none()


@pytest.fixture
def sendable_campaign(tenant_a, bob, ready_list, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_ready_to_send(tenant_a)
    return make_campaign(tenant_a, bob, lead_list=ready_list)


def test_test_send_fields_fill_the_mail_or_are_refused_by_name(api, sendable_campaign, mailoutbox):
    findings = Findings()
    url = f"/api/v1/campaigns/{sendable_campaign.pk}/test-send/"
    for hostile in hostile_values():
        ok, _value = drf_text(hostile.value, 200)
        mailoutbox.clear()
        payload = {"email": "tester@alpha.example", "company_name": hostile.value, "contact_name": hostile.value}
        response = send_json(api, "post", url, payload)
        if ok:
            if findings.check(response.status_code == 202, hostile, f"answered {response.status_code}"):
                subject = mailoutbox[0].subject if mailoutbox else ""
                findings.check("\n" not in subject and "\r" not in subject, hostile, "the subject has a line break")
        else:
            findings.check(
                response.status_code == 400 and refused_fields(response) == {"company_name", "contact_name"},
                hostile,
                f"answered {response.status_code} {response.content[:200]!r}",
            )
        address = send_json(api, "post", url, {"email": hostile.value})
        typed = hostile.value.strip()  # EmailField's own check, then the normalized one of every address
        address_ok = (
            drf_text(hostile.value, 254)[0] and is_valid_email(typed) and is_valid_email(normalize_email(typed))
        )
        findings.check(
            address.status_code == (202 if address_ok else 400), hostile, f"email answered {address.status_code}"
        )
        if address.status_code == 400:
            findings.check(refused_fields(address) == {"email"}, hostile, f"email refusal {address.json()}")
    findings.assert_none()


# ---------------------------------------------------------------------------------------------
# Mail settings (admin)


@pytest.fixture
def admin_api(alice_api):
    return answers_500s(alice_api)


def test_mail_settings_store_or_name_each_value(admin_api, tenant_a):
    findings = Findings()
    for hostile in hostile_values():
        name_ok, name = drf_text(hostile.value, 200)
        address_ok, address = drf_text(hostile.value, 300)
        payload = {"legal_sender_name": hostile.value, "legal_postal_address": hostile.value}
        refused = {
            field for field, ok in (("legal_sender_name", name_ok), ("legal_postal_address", address_ok)) if not ok
        }
        response = send_json(admin_api, "patch", "/api/v1/settings/mail/", payload)
        if response.status_code == 400:
            findings.check(refused_fields(response) == refused, hostile, f"refused {response.json()}")
        elif findings.check(response.status_code == 200 and not refused, hostile, f"answered {response.status_code}"):
            tenant = Tenant.objects.get(pk=tenant_a.pk)
            findings.check(tenant.legal_sender_name == name, hostile, "legal_sender_name changed")
            findings.check(tenant.legal_postal_address == address, hostile, "legal_postal_address changed")
        contact = send_json(admin_api, "patch", "/api/v1/settings/mail/", {"legal_contact": hostile.value})
        try:
            contact_ok = drf_text(hostile.value, 320)[0] and bool(clean_legal_contact(hostile.value.strip()) or True)
        except ValidationError:
            contact_ok = False
        findings.check(contact.status_code == (200 if contact_ok else 400), hostile, f"contact {contact.status_code}")
        if contact.status_code == 400:
            findings.check(refused_fields(contact) == {"legal_contact"}, hostile, f"contact {contact.json()}")
        domains = send_json(admin_api, "patch", "/api/v1/settings/mail/", {"sender_domains": [hostile.value]})
        try:
            domain_ok = not has_lone_surrogate(hostile.value) and bool(normalize_sender_domain(hostile.value))
        except ValidationError:
            domain_ok = False
        findings.check(domains.status_code == (200 if domain_ok else 400), hostile, f"domains {domains.status_code}")
        if domains.status_code == 400:
            findings.check(refused_fields(domains) == {"sender_domains"}, hostile, f"domains {domains.json()}")
    findings.assert_none()
