"""While PostgreSQL cannot be reached, tracking links and the API answer 503 with Retry-After, never 500.

The outage is real: the test's database connection is closed and pointed at a port nobody listens on,
so the view's first query fails to connect, as during a restart (tests/faults: tracking_postgres_restart).
"""

import contextlib
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client

from campaigns.models import Message
from tests.faults.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def _unreachable() -> Iterator[None]:
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", free_port()
    try:
        yield
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = saved


@pytest.fixture
def database_unreachable() -> Callable[[], contextlib.AbstractContextManager[None]]:
    return _unreachable


@pytest.fixture
def web() -> Client:
    return Client(raise_request_exception=False)


def _assert_retry_later(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/t/o/{token}.gif", "/t/c/{token}/1/", "/u/{token}/"])
def test_tracking_links_answer_503_while_the_database_is_down(sent_campaign, web, database_unreachable, path):
    token = Message.objects.filter(campaign=sent_campaign).values_list("token", flat=True).first()
    url = path.format(token=token)
    with database_unreachable():
        response = web.get(url)
    _assert_retry_later(response)
    assert response["Content-Type"].startswith("text/plain")
    assert "しばらくしてから" in response.content.decode()  # in Japanese, as every page
    assert web.get(url).status_code in (200, 302)  # the next request connects again


def test_api_answers_json_503_while_the_database_is_down(alice_api, database_unreachable):
    with database_unreachable():
        response = alice_api.get("/api/v1/leads/")
    _assert_retry_later(response)
    assert response.json()["code"] == "service_unavailable"
    assert "しばらくしてから" in response.json()["detail"]


def test_a_signed_in_page_answers_503_when_the_session_cannot_be_read(bob, database_unreachable):
    """The session and the user are read by middleware, before any view: the outage is met there."""
    page = Client(raise_request_exception=False)
    page.force_login(bob)
    with database_unreachable():
        response = page.get("/campaigns/")
    _assert_retry_later(response)
    assert "しばらくしてから" in response.content.decode()
    assert page.get("/campaigns/").status_code == 200  # the next request connects again


def test_other_errors_are_still_500(web, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr("tracking.views.tracked_message", broken)
    assert web.get("/t/o/" + "0" * 32 + ".gif").status_code == 500
