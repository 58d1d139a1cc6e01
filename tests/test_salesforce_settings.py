"""The Salesforce settings screen /settings/salesforce/ (I1): admins only, secrets encrypted and never shown again,
a connection test that shows Salesforce's own error, disconnect, and one tenant never touching another's connection.
"""

from __future__ import annotations

import pytest
from django.db import connection as db_connection

from integrations.models import SalesforceConnection
from integrations.salesforce import selectors
from integrations.salesforce.credentials import stored_secrets
from tests import factories
from tests.salesforce_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    REFRESH_TOKEN,
    SECURITY_TOKEN,
    USERNAME,
)

pytest_plugins = ["tests.salesforce_fake"]  # the fake_salesforce and salesforce_tls fixtures

URL = "/settings/salesforce/"


def refresh_token_form(fake, **overrides) -> dict:
    form = {
        "instance_url": fake.url,
        "auth_method": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "action": "save",
    }
    return {**form, **overrides}


def password_form(fake, **overrides) -> dict:
    form = {
        "instance_url": fake.url,
        "auth_method": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        "security_token": SECURITY_TOKEN,
        "action": "save",
    }
    return {**form, **overrides}


def raw_connection_row(tenant) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_salesforceconnection WHERE tenant_id = %s", [tenant.pk])
        return " ".join(str(value) for value in cursor.fetchone())


ALL_SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, PASSWORD, SECURITY_TOKEN)


def test_admin_sees_the_empty_screen_with_its_form(alice_client):
    response = alice_client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    for name in ("instance_url", "auth_method", "client_id", "client_secret", "refresh_token", "username", "password"):
        assert f'name="{name}"' in body
    assert 'value="test"' in body and 'value="save"' in body
    assert 'href="/settings/salesforce/"' in body  # the sidebar entry
    assert response.context["status"] is None


@pytest.mark.parametrize("client_fixture", ["bob_client", "mary_client"])
def test_only_admins_may_open_or_change_it(request, client_fixture, fake_salesforce, tenant_a, alice):
    client = request.getfixturevalue(client_fixture)
    assert client.get(URL).status_code == 403
    assert client.post(URL, refresh_token_form(fake_salesforce)).status_code == 403
    assert client.post(URL + "disconnect/").status_code == 403
    assert SalesforceConnection.objects.count() == 0
    assert 'href="/settings/salesforce/"' not in client.get("/leads/").content.decode()  # no sidebar entry


def test_signed_out_visitors_go_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_tenant_without_the_mail_plan_sees_the_plan_page(client, db):
    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    admin = factories.make_user(tenant, role="admin", email="admin@noplan.example")
    client.force_login(admin)
    response = client.get(URL)
    assert response.status_code == 403
    assert "accounts/plan_required.html" in [template.name for template in response.templates]


def test_connecting_stores_the_secrets_encrypted_and_never_shows_them_again(alice_client, tenant_a, fake_salesforce):
    response = alice_client.post(URL, refresh_token_form(fake_salesforce))

    assert response.status_code == 302
    assert response["Location"] == URL
    connection = SalesforceConnection.objects.get(tenant=tenant_a)
    assert connection.instance_url == fake_salesforce.url
    raw = raw_connection_row(tenant_a)
    assert CLIENT_SECRET not in raw and REFRESH_TOKEN not in raw  # the columns hold ciphertext
    assert stored_secrets(connection) == {"client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}

    page = alice_client.get(URL)
    body = page.content.decode()
    for secret in ALL_SECRETS:
        assert secret not in body
    assert fake_salesforce.url in body and CLIENT_ID in body  # identifiers are shown
    fields = page.context["form"].fields  # saved secrets are marked as saved, their fields stay empty
    assert fields["client_secret"].widget.attrs.get("placeholder") and fields["refresh_token"].widget.attrs.get(
        "placeholder"
    )
    assert not fields["password"].widget.attrs.get("placeholder")
    assert fake_salesforce.requests == []  # saving does not call Salesforce
    assert hasattr(tenant_a, "salesforce_connection")  # the composer offers C11 now


def test_a_form_with_errors_does_not_echo_the_typed_secrets(alice_client, fake_salesforce):
    response = alice_client.post(URL, password_form(fake_salesforce, instance_url="http://evil.example/"))

    assert response.status_code == 200
    assert response.context["form"].errors["instance_url"]
    body = response.content.decode()
    for secret in (CLIENT_SECRET, PASSWORD, SECURITY_TOKEN):
        assert secret not in body
    assert SalesforceConnection.objects.count() == 0


@pytest.mark.parametrize(
    "instance_url",
    ["http://127.0.0.1:1/", "https://evil.example/", "https://127.0.0.1.evil.example/", "javascript:alert(1)"],
)
def test_only_https_salesforce_hosts_are_accepted(alice_client, fake_salesforce, instance_url):
    response = alice_client.post(URL, refresh_token_form(fake_salesforce, instance_url=instance_url))
    assert response.context["form"].errors["instance_url"]
    assert SalesforceConnection.objects.count() == 0


def test_the_real_salesforce_hosts_are_allowed_by_default(settings):
    from integrations.salesforce.client import normalized_url

    settings.SALESFORCE_HOST_SUFFIXES = ["salesforce.com", "force.com", "salesforce.mil"]
    assert normalized_url("https://Alpha.my.salesforce.com/lightning/page/home") == "https://alpha.my.salesforce.com"
    assert normalized_url("https://alpha.lightning.force.com/one") == "https://alpha.my.salesforce.com"
    assert normalized_url("https://login.salesforce.com") == "https://login.salesforce.com"
    with pytest.raises(ValueError):
        normalized_url("https://salesforce.com.evil.example")


def test_missing_credentials_are_named_by_field(alice_client, fake_salesforce):
    response = alice_client.post(URL, password_form(fake_salesforce, username="", password="", client_secret=""))
    errors = response.context["form"].errors
    assert set(errors) >= {"username", "password", "client_secret"}
    response = alice_client.post(URL, refresh_token_form(fake_salesforce, refresh_token="", client_id=""))
    assert set(response.context["form"].errors) >= {"refresh_token", "client_id"}


def test_an_empty_secret_field_keeps_the_saved_one_and_a_new_value_replaces_it(alice_client, tenant_a, fake_salesforce):
    alice_client.post(URL, password_form(fake_salesforce))

    alice_client.post(URL, password_form(fake_salesforce, password="", security_token="", client_secret=""))
    connection = SalesforceConnection.objects.get(tenant=tenant_a)
    assert stored_secrets(connection) == {
        "client_secret": CLIENT_SECRET,
        "password": PASSWORD,
        "security_token": SECURITY_TOKEN,
    }

    alice_client.post(
        URL, password_form(fake_salesforce, password="New-password-1", security_token="", client_secret="")
    )
    connection.refresh_from_db()
    assert stored_secrets(connection)["password"] == "New-password-1"

    # another sign-in method keeps only the secrets it uses
    alice_client.post(URL, refresh_token_form(fake_salesforce, client_secret=""))
    connection.refresh_from_db()
    assert stored_secrets(connection) == {"client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}
    assert connection.username == ""


def test_the_connection_test_reports_success(alice_client, fake_salesforce):
    response = alice_client.post(URL, refresh_token_form(fake_salesforce, action="test"))

    assert response.status_code == 200
    assert response.context["test_result"] == {"ok": True, "error": ""}
    assert 'id="salesforce-test-result"' in response.content.decode()
    assert SalesforceConnection.objects.count() == 0  # a test saves nothing
    assert [request.path for request in fake_salesforce.requests] == [
        "/services/oauth2/token",
        "/services/data/v62.0/query/",
        "/services/data/v62.0/query/",
    ]


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            lambda fake: refresh_token_form(fake, refresh_token="revoked", action="test"),
            "invalid_grant: expired access/refresh token",
        ),
        (lambda fake: password_form(fake, password="wrong", action="test"), "invalid_grant: authentication failure"),
        (
            lambda fake: refresh_token_form(fake, client_id="unknown-app", action="test"),
            "invalid_client_id: client identifier invalid",
        ),
    ],
)
def test_the_connection_test_shows_salesforces_exact_error(alice_client, fake_salesforce, form, expected):
    response = alice_client.post(URL, form(fake_salesforce))

    assert response.status_code == 200
    assert response.context["test_result"] == {"ok": False, "error": expected}
    assert f'<code class="salesforce-error">{expected}</code>' in response.content.decode()
    for secret in ALL_SECRETS:
        assert secret not in response.content.decode()


def test_the_connection_test_shows_an_api_error_after_sign_in(alice_client, fake_salesforce):
    fake_salesforce.fail(
        "/query",
        403,
        [{"message": "The REST API is not enabled for this Organization.", "errorCode": "API_DISABLED_FOR_ORG"}],
    )
    response = alice_client.post(URL, refresh_token_form(fake_salesforce, action="test"))
    assert response.context["test_result"]["error"] == (
        "API_DISABLED_FOR_ORG: The REST API is not enabled for this Organization."
    )


def test_the_connection_test_uses_saved_secrets_left_empty(alice_client, fake_salesforce):
    alice_client.post(URL, refresh_token_form(fake_salesforce))
    response = alice_client.post(
        URL, refresh_token_form(fake_salesforce, client_secret="", refresh_token="", action="test")
    )
    assert response.context["test_result"] == {"ok": True, "error": ""}
    token_request = fake_salesforce.received("/services/oauth2/token")[0]
    assert token_request.form["refresh_token"] == REFRESH_TOKEN


def test_disconnect_forgets_the_connection_and_its_secrets(alice_client, tenant_a, fake_salesforce):
    alice_client.post(URL, refresh_token_form(fake_salesforce))
    assert alice_client.get(URL + "disconnect/").status_code == 405

    response = alice_client.post(URL + "disconnect/")

    assert response.status_code == 302
    assert SalesforceConnection.objects.count() == 0
    assert not selectors.is_connected(tenant_a)


def test_another_tenants_admin_never_sees_nor_uses_nor_removes_the_connection(
    alice_client, charlie_client, tenant_a, tenant_b, fake_salesforce
):
    alice_client.post(URL, password_form(fake_salesforce))

    page = charlie_client.get(URL)
    assert page.context["status"] is None
    body = page.content.decode()
    assert fake_salesforce.url not in body and USERNAME not in body and CLIENT_ID not in body

    # a test with the secrets left empty cannot borrow tenant A's
    response = charlie_client.post(
        URL, password_form(fake_salesforce, password="", security_token="", client_secret="", action="test")
    )
    assert set(response.context["form"].errors) >= {"password", "client_secret"}
    assert fake_salesforce.requests == []

    charlie_client.post(URL + "disconnect/")
    assert SalesforceConnection.objects.filter(tenant=tenant_a).exists()

    charlie_client.post(URL, refresh_token_form(fake_salesforce, client_id="beta-app"))
    assert SalesforceConnection.objects.get(tenant=tenant_b).client_id == "beta-app"
    assert SalesforceConnection.objects.get(tenant=tenant_a).username == USERNAME


def test_an_explicit_encryption_key_is_used_and_another_key_cannot_read(
    settings, alice_client, tenant_a, fake_salesforce
):
    settings.SALESFORCE_ENCRYPTION_KEY = ["p0VOKUvOwOmrP4J5yTvDg4Qx9rm-I9n-bPQJvUaQbSw="]
    alice_client.post(URL, refresh_token_form(fake_salesforce))
    connection = SalesforceConnection.objects.get(tenant=tenant_a)
    assert stored_secrets(connection)["refresh_token"] == REFRESH_TOKEN

    # rotation: a new first key, the old one still listed, reads what was saved
    settings.SALESFORCE_ENCRYPTION_KEY = [
        "Yw1qqqn0Mx6Id7oCJBh2vcn2UsiOYtSkFYcSjqT2S7s=",
        "p0VOKUvOwOmrP4J5yTvDg4Qx9rm-I9n-bPQJvUaQbSw=",
    ]
    assert stored_secrets(connection)["refresh_token"] == REFRESH_TOKEN

    settings.SALESFORCE_ENCRYPTION_KEY = ["Yw1qqqn0Mx6Id7oCJBh2vcn2UsiOYtSkFYcSjqT2S7s="]
    response = alice_client.get(URL)
    assert response.context["status"].credentials_unreadable
    assert 'role="alert"' in response.content.decode()
