"""The API token screen (I2): a signed-in user sees whether they have a token, creates one (shown once), revokes it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PAGE = "/accounts/api-token/"
CREATE = "/accounts/api-token/create/"
REVOKE = "/accounts/api-token/revoke/"


def api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/leads/").status_code


def test_without_a_token_the_page_offers_to_create_one(bob_client):
    response = bob_client.get(PAGE)
    assert response.status_code == 200
    assert response.context["token"] is None
    assert f'action="{CREATE}"' in response.content.decode()
    assert f'action="{REVOKE}"' not in response.content.decode()


def test_the_new_key_is_shown_once_and_works(bob_client, bob):
    response = bob_client.post(CREATE)
    assert response.status_code == 200
    key = Token.objects.get(user=bob).key
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert api_status(key) == 200

    again = bob_client.get(PAGE).content.decode()
    assert key not in again
    assert key[:6] + "…" in again
    assert f'action="{REVOKE}"' in again


def test_a_new_token_replaces_the_old_one(bob_client, bob):
    bob_client.post(CREATE)
    old = Token.objects.get(user=bob).key
    bob_client.post(CREATE)
    new = Token.objects.get(user=bob).key
    assert new != old
    assert api_status(old) == 401 and api_status(new) == 200


def test_revoking_stops_the_key_at_once(bob_client, bob):
    bob_client.post(CREATE)
    key = Token.objects.get(user=bob).key
    response = bob_client.post(REVOKE, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert not Token.objects.filter(user=bob).exists()
    assert api_status(key) == 401
    assert response.context["token"] is None


def test_each_user_sees_and_revokes_only_their_own(bob_client, alice, bob):
    alices = Token.objects.create(user=alice)
    page = bob_client.get(PAGE)
    assert page.context["token"] is None and alices.key[:6] not in page.content.decode()
    bob_client.post(REVOKE)
    assert Token.objects.filter(pk=alices.pk).exists()


def test_posts_need_the_csrf_token_and_get_never_changes_anything(bob, bob_client):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(bob)
    assert strict.post(CREATE).status_code == 403
    assert not Token.objects.filter(user=bob).exists()

    page = strict.get(PAGE)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert strict.post(CREATE, {"csrfmiddlewaretoken": csrf}).status_code == 200
    assert Token.objects.filter(user=bob).exists()

    assert bob_client.get(CREATE).status_code == 405
    assert bob_client.get(REVOKE).status_code == 405
    assert Token.objects.filter(user=bob).exists()


def test_signed_out_visitors_are_sent_to_the_login(db):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().post(CREATE).status_code == 302
    assert not Token.objects.exists()


def test_every_role_and_a_tenant_without_the_mail_plan_may_have_a_token(mary_client, alice_client, tenant_a):
    tenant_a.has_mail_plan = False
    tenant_a.save()
    for client in (mary_client, alice_client):
        assert client.post(CREATE).status_code == 200
    assert Token.objects.count() == 2


def test_the_user_menu_links_to_the_page(bob_client):
    assert f'href="{PAGE}"' in bob_client.get("/leads/").content.decode()


def test_the_page_speaks_japanese(bob_client):
    """Every msgid of the page has its Japanese in the catalogue."""
    template = (Path(settings.BASE_DIR) / "templates/accounts/api_token.html").read_text(encoding="utf-8")
    msgids = set(re.findall(r'{% translate "([^"]+)" %}', template))
    msgids |= set(re.findall(r"{% translate '([^']+)' %}", template))
    with translation.override("ja"):
        translated = {msgid: gettext(msgid) for msgid in msgids}
    untranslated = {msgid for msgid, japanese in translated.items() if not re.search(r"[ぁ-んァ-ン一-龥]", japanese)}
    assert msgids and not untranslated, untranslated
