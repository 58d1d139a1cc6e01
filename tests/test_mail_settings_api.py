"""The mail settings API /api/v1/settings/mail/ (A4, A5, I2): GET and PATCH for admins of a mail-plan tenant."""

import pytest
import yaml
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import selectors, services
from accounts.models import Role
from tests import factories

URL = "/api/v1/settings/mail/"
KEYS = {"sender_domains", "legal_sender_name", "legal_postal_address", "legal_contact", "send_rate_per_second"}


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def admin_api(alice_api):
    alice_api.cookies["django_language"] = "en"
    return alice_api


def patch(client: APIClient, body):
    return client.patch(URL, body, format="json")


def test_admin_reads_the_settings(admin_api, tenant_a):
    services.update_mail_settings(tenant_a, sender_domains=["例え.jp", "example.co.jp"], legal_sender_name="アルファ")
    response = admin_api.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "sender_domains": ["example.co.jp", "例え.jp"],
        "legal_sender_name": "アルファ",
        "legal_postal_address": "",
        "legal_contact": "",
        "send_rate_per_second": 20,
    }


def test_patch_changes_everything_given_and_answers_the_new_settings(admin_api, tenant_a):
    body = {
        "sender_domains": ["Example.CO.JP", "xn--r8jz45g.jp"],
        "legal_sender_name": "株式会社アルファ",
        "legal_postal_address": "〒100-0001 東京都千代田区千代田1-1",
        "legal_contact": "https://alpha.example/contact",
        "send_rate_per_second": 100,
    }
    response = patch(admin_api, body)
    assert response.status_code == 200
    assert response.json() == {**body, "sender_domains": ["example.co.jp", "例え.jp"]}
    assert admin_api.get(URL).json() == response.json()
    tenant_a.refresh_from_db()
    assert selectors.missing_legal_info(tenant_a) == []


def test_patch_replaces_the_domain_list_and_leaves_the_rest(admin_api, tenant_a):
    services.update_mail_settings(tenant_a, sender_domains=["old.example.jp"], legal_sender_name="アルファ")
    response = patch(admin_api, {"sender_domains": ["new.example.jp"]})
    assert response.json()["sender_domains"] == ["new.example.jp"]
    assert response.json()["legal_sender_name"] == "アルファ"
    assert patch(admin_api, {"legal_contact": "info@alpha.example"}).json()["sender_domains"] == ["new.example.jp"]
    assert patch(admin_api, {"sender_domains": []}).json()["sender_domains"] == []


def test_empty_patch_changes_nothing(admin_api, tenant_a):
    services.update_mail_settings(tenant_a, sender_domains=["example.co.jp"])
    response = patch(admin_api, {})
    assert response.status_code == 200
    assert response.json()["sender_domains"] == ["example.co.jp"]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"sender_domains": ["exa mple.com"]}, "sender_domains", "“exa mple.com” contains a space"),
        ({"sender_domains": ["*.example.com"]}, "sender_domains", "“*.example.com”: wildcards are not accepted"),
        ({"sender_domains": ["https://example.com"]}, "sender_domains", "without http:// or https://"),
        ({"sender_domains": ["example.com/news"]}, "sender_domains", "without a path"),
        ({"sender_domains": ["info@example.com"]}, "sender_domains", "is an email address"),
        ({"sender_domains": ["localhost"]}, "sender_domains", "“localhost” is not a complete domain"),
        ({"sender_domains": ["a" * 64 + ".jp"]}, "sender_domains", "at most 63 characters"),
        ({"sender_domains": [".".join(["a" * 50] * 5) + ".jp"]}, "sender_domains", "at most 253 characters"),
        (
            {"sender_domains": ["a.example.jp", "A.example.jp"]},
            "sender_domains",
            "“A.example.jp” is listed more than once",
        ),
        ({"sender_domains": [""]}, "sender_domains", "Enter a domain"),
        ({"legal_contact": "03-1234-5678"}, "legal_contact", "Enter an email address"),
        ({"send_rate_per_second": 0}, "send_rate_per_second", "from 1 to 1,000 mails per second"),
        ({"send_rate_per_second": 1001}, "send_rate_per_second", "from 1 to 1,000 mails per second"),
    ],
)
def test_bad_values_are_field_errors_naming_them(admin_api, tenant_a, body, field, says):
    response = patch(admin_api, {**body, "legal_sender_name": "保存されない"})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert isinstance(errors[field], list)
    assert says in errors[field][0]
    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == ""  # nothing of a refused request is saved


def test_every_bad_domain_is_named(admin_api):
    response = patch(admin_api, {"sender_domains": ["good.example.jp", "exa mple.com", "localhost"]})
    messages = response.json()["sender_domains"]
    assert len(messages) == 2
    assert "exa mple.com" in messages[0]
    assert "localhost" in messages[1]


@pytest.mark.parametrize(
    "body",
    [
        {"sender_domains": "example.co.jp"},
        {"sender_domains": None},
        {"sender_domains": [["example.co.jp"]]},
        {"sender_domains": [{"domain": "example.co.jp"}]},
        {"sender_domains": [123]},
        {"sender_domains": ["exam\x00ple.jp"]},
        {"send_rate_per_second": "fast"},
        {"send_rate_per_second": None},
        {"send_rate_per_second": 10**30},
        {"send_rate_per_second": 2.5},
        {"legal_sender_name": None},
        {"legal_sender_name": ["株式会社"]},
        {"legal_sender_name": "あ" * 201},
        {"legal_postal_address": "\x00"},
        {"legal_contact": "x" * 400},
    ],
)
def test_wrong_types_are_400_never_500(admin_api, tenant_a, body):
    response = patch(admin_api, body)
    assert response.status_code == 400
    assert list(response.json()) == list(body)


@pytest.mark.parametrize("body", [[], "text", [{"sender_domains": []}]])
def test_a_body_that_is_not_an_object_is_400(admin_api, body):
    response = patch(admin_api, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_only_get_and_patch(admin_api):
    assert admin_api.put(URL, {}, format="json").status_code == 405
    assert admin_api.post(URL, {}, format="json").status_code == 405
    assert admin_api.delete(URL).status_code == 405


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
def test_reps_and_managers_may_neither_read_nor_change(tenant_a, role):
    client = api_client(factories.make_user(tenant_a, role=role))
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only an administrator may do this."
    assert patch(client, {"legal_sender_name": "x", "sender_domains": ["x.example.jp"]}).status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == ""
    assert selectors.sender_domain_names(tenant_a) == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REP])
def test_tenant_without_mail_plan_is_refused_with_the_plan_code(db, role):
    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    client = api_client(factories.make_user(tenant, role=role))
    for response in (client.get(URL), patch(client, {"sender_domains": ["x.example.jp"]})):
        assert response.status_code == 403
        assert response.json()["code"] == "mail_plan_required"
    assert selectors.sender_domain_names(tenant) == []


def test_anonymous_is_refused(db):
    response = APIClient().get(URL)
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_charlie_reads_and_changes_only_his_own_company(charlie_api, tenant_a, tenant_b):
    services.update_mail_settings(tenant_a, sender_domains=["alpha.example.jp"], legal_sender_name="アルファ")
    services.update_mail_settings(tenant_b, sender_domains=["beta.example.jp"])
    assert charlie_api.get(URL).json()["sender_domains"] == ["beta.example.jp"]

    response = patch(charlie_api, {"sender_domains": ["alpha.example.jp"], "legal_sender_name": "ベータ商事"})
    assert response.status_code == 200
    assert response.json()["sender_domains"] == ["alpha.example.jp"]
    patch(charlie_api, {"sender_domains": []})

    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == "アルファ"
    assert selectors.sender_domain_names(tenant_a) == ["alpha.example.jp"]
    assert selectors.sender_domain_names(tenant_b) == []


def test_schema_describes_get_and_patch(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    operations = schema["paths"]["/api/v1/settings/mail/"]
    assert set(operations) >= {"get", "patch"}
    assert "put" not in operations
    component = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schema["components"]["schemas"][component]["properties"]) == KEYS
