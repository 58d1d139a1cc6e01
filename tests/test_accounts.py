"""Login by email, roles (A1), staff without a tenant, the create_tenant command, language."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role, Tenant, User
from tests.factories import PASSWORD


def test_login_with_email_and_password(bob):
    client = Client()
    response = client.post("/accounts/login/", {"username": "bob@alpha.example", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/leads/").status_code == 200


def test_login_with_wrong_password_says_so_in_japanese(bob):
    response = Client().post("/accounts/login/", {"username": "bob@alpha.example", "password": "wrong"})
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません" in response.content.decode()


def test_logout_needs_post_and_ends_session(bob_client):
    response = bob_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert bob_client.get("/leads/").status_code == 302


def test_pages_require_login(db):
    response = Client().get("/leads/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_without_tenant_gets_explanation_not_data(db):
    staff = User.objects.create_superuser(email="ops@okuru.example", password=PASSWORD)
    client = Client()
    client.force_login(staff)
    response = client.get("/leads/")
    assert response.status_code == 403
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("client_name", ["bob_client", "mary_client"])
def test_only_admins_manage_users(client_name, request, alice):
    client = request.getfixturevalue(client_name)
    assert client.get("/accounts/users/").status_code == 403
    response = client.post(
        "/accounts/users/new/", {"email": "new@alpha.example", "role": "admin", "password": "Strong-pass-123"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="new@alpha.example").exists()
    assert client.post(f"/accounts/users/{alice.pk}/", {"role": "rep", "is_active": ""}).status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.ADMIN


def test_admin_adds_a_user_to_own_tenant(alice_client, tenant_a):
    response = alice_client.post(
        "/accounts/users/new/",
        {"email": "New@Alpha.example", "name": "新人", "role": "rep", "password": "Strong-pass-123"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@alpha.example")
    assert user.tenant == tenant_a
    assert user.role == Role.REP


def test_admin_sees_errors_next_to_fields(alice_client, bob):
    response = alice_client.post("/accounts/users/new/", {"email": "bob@alpha.example", "role": "rep", "password": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "このメールアドレスは既に使われています" in body


def test_admin_cannot_demote_themself(alice_client, alice):
    alice_client.post(f"/accounts/users/{alice.pk}/", {"name": "", "role": "rep", "is_active": "on"})
    alice.refresh_from_db()
    assert alice.role == Role.ADMIN


def test_admin_changes_role_of_colleague(alice_client, bob):
    alice_client.post(f"/accounts/users/{bob.pk}/", {"name": "坊", "role": "manager", "is_active": "on"})
    bob.refresh_from_db()
    assert bob.role == Role.MANAGER


def test_create_tenant_prints_working_token(db):
    out = io.StringIO()
    call_command(
        "create_tenant",
        "--name",
        "新会社",
        "--admin-email",
        "root@new.example",
        "--password",
        PASSWORD,
        "--mail-plan",
        stdout=out,
    )
    last_line = out.getvalue().strip().splitlines()[-1]
    assert last_line.startswith("token=")
    tenant = Tenant.objects.get(name="新会社")
    assert tenant.has_mail_plan
    admin = User.objects.get(email="root@new.example")
    assert admin.role == Role.ADMIN and admin.tenant == tenant
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {last_line.removeprefix('token=')}")
    assert client.get("/api/v1/leads/").status_code == 200


def test_create_tenant_refuses_a_bad_address(db):
    with pytest.raises(CommandError, match="admin-email"):
        call_command("create_tenant", "--name", "x", "--admin-email", "not-an-address", "--password", PASSWORD)


def test_ui_is_japanese_even_for_an_english_browser(bob_client):
    response = bob_client.get("/leads/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "リード" in response.content.decode()


def test_english_can_be_chosen(bob_client):
    bob_client.post("/i18n/setlang/", {"language": "en", "next": "/leads/"})
    body = bob_client.get("/leads/").content.decode()
    assert "Lead lists" in body
