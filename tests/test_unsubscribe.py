"""The unsubscribe link (K3, L5): a page with one button; only a POST unsubscribes, at once, idempotently."""

import pytest
from django.test import Client

from campaigns.models import Message
from leads.models import Suppression, SuppressionReason
from tests.campaign_world import token_of
from tracking.models import CampaignActivity, Event, EventKind

pytestmark = pytest.mark.django_db

YAMADA = "yamada@aozora.example"


def suppressed(tenant) -> list[str]:
    return list(Suppression.objects.filter(tenant=tenant).values_list("email_normalized", flat=True))


def unsubscribed_count(campaign) -> int:
    return sum(CampaignActivity.objects.filter(campaign=campaign).values_list("unsubscribed", flat=True))


def test_get_shows_one_button_and_changes_nothing(client, sent_campaign, tenant_a):
    response = client.get(f"/u/{token_of(sent_campaign, YAMADA)}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<button") == 1 and 'method="post"' in html
    assert YAMADA in html and "株式会社アルファ" in html
    assert '<html lang="ja">' in html
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves for another site
    assert suppressed(tenant_a) == []
    assert not Event.objects.exists()


def test_head_changes_nothing(client, sent_campaign, tenant_a):
    assert client.head(f"/u/{token_of(sent_campaign, YAMADA)}/").status_code == 200
    assert suppressed(tenant_a) == []


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_rfc8058_one_click_post_unsubscribes_at_once_without_cookies_or_redirect(sent_campaign, tenant_a, multipart):
    provider = Client(enforce_csrf_checks=True)  # a mail provider: no cookies, no CSRF token
    url = f"/u/{token_of(sent_campaign, YAMADA)}/"
    body = {"List-Unsubscribe": "One-Click"}
    if multipart:
        response = provider.post(url, body)  # the test client's default is multipart/form-data
    else:
        response = provider.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "Location" not in response
    assert suppressed(tenant_a) == [YAMADA]
    assert Suppression.objects.get(tenant=tenant_a).reason == SuppressionReason.UNSUBSCRIBED
    message = Message.objects.get(campaign=sent_campaign, email_normalized=YAMADA)
    assert message.unsubscribed_at is not None
    assert unsubscribed_count(sent_campaign) == 1


def test_unsubscribing_twice_is_harmless(sent_campaign, tenant_a):
    provider = Client(enforce_csrf_checks=True)
    url = f"/u/{token_of(sent_campaign, YAMADA)}/"
    first = provider.post(url, {"List-Unsubscribe": "One-Click"})
    second = provider.post(url, {"List-Unsubscribe": "One-Click"})

    assert first.status_code == second.status_code == 200
    assert suppressed(tenant_a) == [YAMADA]
    assert Event.objects.filter(kind=EventKind.UNSUBSCRIBED).count() == 1
    assert unsubscribed_count(sent_campaign) == 1


def test_the_page_button_posts_with_a_csrf_token_and_confirms(sent_campaign, tenant_a):
    browser = Client(enforce_csrf_checks=True)
    url = f"/u/{token_of(sent_campaign, YAMADA)}/"
    page = browser.get(url)
    csrf = page.context["csrf_token"]

    forged = Client(enforce_csrf_checks=True).post(url, {})
    assert forged.status_code == 403
    assert suppressed(tenant_a) == []

    done = browser.post(url, {"csrfmiddlewaretoken": str(csrf)})
    assert done.status_code == 200
    assert "Location" not in done
    assert done.context["done"] is True
    assert "<button" not in done.content.decode()
    assert suppressed(tenant_a) == [YAMADA]
    # coming back later: the page says so instead of offering the button again
    again = browser.get(url)
    assert again.context["done"] is True and "<button" not in again.content.decode()


def test_unknown_or_altered_tokens_are_404(client, sent_campaign, tenant_a):
    token = token_of(sent_campaign, YAMADA)
    for bad in ("0" * 32, token[:-1] + ("1" if token[-1] == "0" else "0"), token[:20], "../admin"):
        assert client.get(f"/u/{bad}/").status_code == 404
        assert client.post(f"/u/{bad}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert suppressed(tenant_a) == []


def test_a_test_mail_link_explains_and_records_nothing(client, sent_campaign, tenant_a):
    response = client.get("/u/test/")
    assert response.status_code == 200
    assert suppressed(tenant_a) == []


def test_unsubscribing_suppresses_for_the_tenant_only(sent_campaign, tenant_a, tenant_b):
    Client().post(f"/u/{token_of(sent_campaign, YAMADA)}/", {"List-Unsubscribe": "One-Click"})
    assert suppressed(tenant_b) == []
