"""The mail settings screen /settings/mail/ (A4 sender domains, A5 legal sender information)."""

import re

import pytest
from django.test import Client

from accounts import selectors, services
from accounts.models import Role, SenderDomain
from tests import factories

URL = "/settings/mail/"
ADD_URL = "/settings/mail/domains/"
COMPLETE = {
    "legal_sender_name": "株式会社アルファ",
    "legal_postal_address": "〒100-0001 東京都千代田区千代田1-1",
    "legal_contact": "info@alpha.example",
    "send_rate_per_second": "20",
}


def in_english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def delete_url(domain: SenderDomain) -> str:
    return f"/settings/mail/domains/{domain.pk}/delete/"


def field_errors(html: str, field: str) -> list[str]:
    """The error paragraphs rendered beside one field (templates/form_field.html)."""
    return re.findall(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', html)


@pytest.fixture
def admin(alice_client):
    return in_english(alice_client)


# --- who may open it ---------------------------------------------------------------------------------


def test_admin_opens_the_page_with_both_sections(admin):
    response = admin.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sender domains" in body
    assert "Legal sender information (Specified Electronic Mail Act)" in body
    assert "Sending rate (mails per second)" in body


@pytest.mark.parametrize("client_name", ["bob_client", "mary_client"])
def test_reps_and_managers_get_forbidden_and_change_nothing(client_name, request, tenant_a):
    client = request.getfixturevalue(client_name)
    domain = services.add_sender_domain(tenant_a, "example.co.jp")
    assert client.get(URL).status_code == 403
    response = client.post(URL, COMPLETE)
    assert response.status_code == 403
    assert "accounts/forbidden.html" in [template.name for template in response.templates]
    assert client.post(ADD_URL, {"domain": "other.example.jp"}).status_code == 403
    assert client.post(delete_url(domain)).status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == ""
    assert selectors.sender_domain_names(tenant_a) == ["example.co.jp"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REP])
def test_tenant_without_mail_plan_gets_the_plan_page(db, role):
    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    client = Client()
    client.force_login(factories.make_user(tenant, role=role))
    for response in (client.get(URL), client.post(URL, COMPLETE), client.post(ADD_URL, {"domain": "x.example.jp"})):
        assert response.status_code == 403
        assert "accounts/plan_required.html" in [template.name for template in response.templates]
    tenant.refresh_from_db()
    assert tenant.legal_sender_name == ""
    assert not SenderDomain.objects.filter(tenant=tenant).exists()


def test_anonymous_is_sent_to_login(db):
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- sender domains --------------------------------------------------------------------------------


def test_empty_state_says_what_to_do(admin):
    assert "No sender domain is registered yet" in admin.get(URL).content.decode()


def test_admin_adds_a_domain_and_sees_it(admin, tenant_a):
    response = admin.post(ADD_URL, {"domain": " Example.CO.JP "})
    assert response.status_code == 302
    assert response["Location"] == "/settings/mail/#sender-domains"
    assert selectors.sender_domain_names(tenant_a) == ["example.co.jp"]
    page = admin.get(URL).content.decode()
    assert "The domain example.co.jp was added." in page
    assert "<td>example.co.jp</td>" in page


def test_japanese_domain_is_shown_with_its_dns_form(admin, tenant_a):
    admin.post(ADD_URL, {"domain": "例え.JP"})
    page = admin.get(URL).content.decode()
    assert "例え.jp" in page
    assert "(xn--r8jz45g.jp)" in page


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("exa mple.com", "contains a space"),
        ("*.example.com", "wildcards are not accepted"),
        ("https://example.com", "without http:// or https://"),
        ("sales@example.com", "is an email address"),
        ("localhost", "needs at least one dot"),
        ("", "This field is required."),
    ],
)
def test_bad_domain_shows_the_error_beside_the_field_and_saves_nothing(admin, tenant_a, typed, says):
    response = admin.post(ADD_URL, {"domain": typed})
    assert response.status_code == 200
    body = response.content.decode()
    errors = field_errors(body, "domain")
    assert len(errors) == 1
    assert says in errors[0]
    assert f'value="{typed}"' in body or not typed  # what was typed stays in the box to be corrected
    assert not SenderDomain.objects.filter(tenant=tenant_a).exists()


def test_same_domain_in_another_spelling_is_already_registered(admin, tenant_a):
    services.add_sender_domain(tenant_a, "example.co.jp")
    response = admin.post(ADD_URL, {"domain": "EXAMPLE.co.jp."})
    assert field_errors(response.content.decode(), "domain") == ["“example.co.jp” is already registered."]
    assert SenderDomain.objects.filter(tenant=tenant_a).count() == 1


def test_remove_asks_first_then_removes(admin, tenant_a):
    domain = services.add_sender_domain(tenant_a, "example.co.jp")
    services.add_sender_domain(tenant_a, "other.example.jp")
    page = admin.get(URL).content.decode()
    form = re.search(rf'<form method="post" action="{delete_url(domain)}"[^>]*>', page).group(0)
    assert 'data-confirm="Remove example.co.jp?' in form
    response = admin.post(delete_url(domain))
    assert response.status_code == 302
    assert selectors.sender_domain_names(tenant_a) == ["other.example.jp"]
    assert "The domain example.co.jp was removed." in admin.get(URL).content.decode()


def test_remove_needs_post(admin, tenant_a):
    domain = services.add_sender_domain(tenant_a, "example.co.jp")
    assert admin.get(delete_url(domain)).status_code == 405
    assert admin.get(ADD_URL).status_code == 405
    assert selectors.sender_domain_names(tenant_a) == ["example.co.jp"]


# --- legal sender information ----------------------------------------------------------------------


def test_warning_lists_what_is_missing_and_disappears_once_complete(admin, tenant_a):
    page = admin.get(URL).content.decode()
    assert "Campaign mail cannot be sent yet." in page
    assert "Sender name, Postal address, Contact for inquiries" in page

    response = admin.post(URL, {**COMPLETE, "legal_postal_address": "", "legal_contact": ""})
    assert response.status_code == 302
    page = admin.get(URL).content.decode()
    assert "Fill in: Postal address, Contact for inquiries" in page

    response = admin.post(URL, COMPLETE)
    assert response.status_code == 302
    assert response["Location"] == "/settings/mail/#legal-sender"
    page = admin.get(URL).content.decode()
    assert "The sender information was saved." in page
    assert "Campaign mail cannot be sent yet." not in page


def test_page_shows_the_saved_values(admin, tenant_a):
    admin.post(URL, {**COMPLETE, "legal_contact": "https://alpha.example/contact", "send_rate_per_second": "75"})
    page = admin.get(URL).content.decode()
    assert 'value="株式会社アルファ"' in page
    assert 'value="〒100-0001 東京都千代田区千代田1-1"' in page
    assert 'value="https://alpha.example/contact"' in page
    assert 'value="75"' in page
    tenant_a.refresh_from_db()
    assert tenant_a.send_rate_per_second == 75


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("legal_contact", "03-1234-5678", "Enter an email address"),
        ("legal_contact", "ftp://alpha.example/", "starting with http:// or https://"),
        ("send_rate_per_second", "0", "from 1 to 1,000 mails per second"),
        ("send_rate_per_second", "1001", "from 1 to 1,000 mails per second"),
        ("send_rate_per_second", "abc", "Enter a whole number."),
        ("send_rate_per_second", "", "This field is required."),
        ("legal_sender_name", "あ" * 201, "at most 200 characters"),
    ],
)
def test_bad_value_shows_the_error_beside_its_field_and_saves_nothing(admin, tenant_a, field, value, says):
    response = admin.post(URL, {**COMPLETE, field: value})
    assert response.status_code == 200
    body = response.content.decode()
    errors = field_errors(body, field)
    assert len(errors) == 1
    assert says in errors[0]
    assert 'value="株式会社アルファ"' in body or field == "legal_sender_name"  # the rest of the input is kept
    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == ""
    assert tenant_a.send_rate_per_second == 20


def test_warning_is_about_saved_values_not_rejected_input(admin, tenant_a):
    response = admin.post(URL, {**COMPLETE, "send_rate_per_second": "0"})
    assert "Campaign mail cannot be sent yet." in response.content.decode()


# --- tenant isolation ------------------------------------------------------------------------------


def test_charlie_sees_and_changes_only_his_own_company(charlie_client, tenant_a, tenant_b):
    in_english(charlie_client)
    domain_a = services.add_sender_domain(tenant_a, "alpha.example.jp")
    services.update_mail_settings(tenant_a, **{**COMPLETE, "send_rate_per_second": 20})
    services.add_sender_domain(tenant_b, "beta.example.jp")

    page = charlie_client.get(URL).content.decode()
    assert "beta.example.jp" in page
    assert "alpha.example.jp" not in page
    assert "株式会社アルファ" not in page

    assert charlie_client.post(delete_url(domain_a)).status_code == 404
    charlie_client.post(URL, {**COMPLETE, "legal_sender_name": "ベータ商事", "send_rate_per_second": "5"})
    charlie_client.post(ADD_URL, {"domain": "alpha.example.jp"})

    tenant_a.refresh_from_db()
    tenant_b.refresh_from_db()
    assert (tenant_a.legal_sender_name, tenant_a.send_rate_per_second) == ("株式会社アルファ", 20)
    assert (tenant_b.legal_sender_name, tenant_b.send_rate_per_second) == ("ベータ商事", 5)
    assert selectors.sender_domain_names(tenant_a) == ["alpha.example.jp"]
    assert selectors.sender_domain_names(tenant_b) == ["alpha.example.jp", "beta.example.jp"]
