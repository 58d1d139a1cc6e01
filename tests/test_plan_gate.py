"""A2: a tenant without the mail plan gets a clear 403 page on mail screens and APIs; leads still work."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.urls("tests.plan_gate_urls")


@pytest.fixture
def no_plan_user(db):
    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    return factories.make_user(tenant)


def test_mail_screen_without_plan_is_403_with_explanation(no_plan_user):
    client = Client()
    client.force_login(no_plan_user)
    response = client.get("/gated/")
    assert response.status_code == 403
    assert "メール一括配信はご契約のプランに含まれていません" in response.content.decode()


def test_mail_screen_with_plan_opens(bob_client):
    response = bob_client.get("/gated/")
    assert response.status_code == 200
    assert response.content == b"mail screen"


def test_mail_api_without_plan_is_403_json(no_plan_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=no_plan_user).key}")
    response = client.get("/api/gated/")
    assert response.status_code == 403
    assert response.json()["code"] == "mail_plan_required"


def test_mail_api_with_plan_answers(bob_api):
    assert bob_api.get("/api/gated/").json() == {"ok": True}


def test_leads_still_work_without_plan(no_plan_user):
    client = Client()
    client.force_login(no_plan_user)
    assert client.get("/leads/").status_code == 200


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/gated/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
