"""While Redis (the cache that counts requests per IP) cannot be reached, tracking links still record and
answer: the per-IP limit is skipped, never a 500 (tests/faults: tracking_redis_restart found the 500s)."""

import pytest

from campaigns.models import Message
from tests.faults.servers import free_port
from tracking.models import Event, EventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    location = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    settings.TRACKING_REQUESTS_PER_IP_PER_MINUTE = 1


def test_open_and_click_are_recorded_while_redis_is_down(sent_campaign, redis_down, client):
    token = Message.objects.filter(campaign=sent_campaign).values_list("token", flat=True).first()

    opened = client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/124.0")
    clicked = client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/124.0")

    assert opened.status_code == 200 and opened["Content-Type"] == "image/gif"
    assert clicked.status_code == 302 and clicked["Location"] == sent_campaign.link_urls[0]
    kinds = sorted(Event.objects.filter(campaign=sent_campaign).values_list("kind", flat=True))
    assert kinds == sorted([EventKind.OPENED, EventKind.CLICKED])
