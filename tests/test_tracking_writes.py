"""How tracking writes: one round trip per result on PostgreSQL, the same outcome step by step (SQLite's way)."""

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from tests.campaign_world import token_of
from tracking.models import CampaignActivity, Event, LinkActivity
from tracking.result_writes import ResultWrite

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)
YAMADA, SATO = "yamada@aozora.example", "sato@fuji.example"


def statements(queries) -> list[str]:
    """The SQL sent, without the savepoints the test's own transaction adds around atomic blocks."""
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


def test_an_open_is_one_read_and_one_write(client, sent_campaign, persistent_database_connection):
    sato, yamada = token_of(sent_campaign, SATO), token_of(sent_campaign, YAMADA)
    client.get(f"/t/o/{sato}.gif", HTTP_USER_AGENT=BROWSER)  # prepares the statements, unless a test did before
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/t/o/{yamada}.gif", HTTP_USER_AGENT=BROWSER)
    sent = statements(queries)
    assert len(sent) == 2, sent
    assert sent[0].startswith("EXECUTE tracked_message_") and sent[1].startswith("EXECUTE result_write_")


def test_a_click_is_a_locked_read_the_earlier_clicks_and_one_write(
    client, sent_campaign, persistent_database_connection
):
    sato, yamada = token_of(sent_campaign, SATO), token_of(sent_campaign, YAMADA)
    client.get(f"/t/c/{sato}/1/", HTTP_USER_AGENT=BROWSER)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/t/c/{yamada}/1/", HTTP_USER_AGENT=BROWSER)
    sent = statements(queries)
    assert len(sent) == 3, sent
    assert sent[0].startswith("EXECUTE tracked_message_locked_") and sent[2].startswith("EXECUTE result_write_")
    assert sent[1].startswith("SELECT link_number, occurred_at, machine FROM tracking_event")  # planned each time


def activity(campaign) -> dict[str, int]:
    totals = CampaignActivity.objects.filter(campaign=campaign).aggregate(
        opened=Sum("opened"), clicked=Sum("clicked"), unsubscribed=Sum("unsubscribed"), machine=Sum("machine_opened")
    )
    links = LinkActivity.objects.filter(campaign=campaign).aggregate(clicks=Sum("clicks"), unique=Sum("unique_clicks"))
    return {**totals, **links, "events": Event.objects.count()}


def a_morning_of_activity(client, campaign) -> None:
    yamada, sato = token_of(campaign, YAMADA), token_of(campaign, SATO)
    client.get(f"/t/o/{yamada}.gif", HTTP_USER_AGENT=BROWSER)
    client.get(f"/t/o/{yamada}.gif", HTTP_USER_AGENT=BROWSER)
    client.get(f"/t/o/{sato}.gif", HTTP_USER_AGENT="Mozilla/5.0")
    client.get(f"/t/c/{yamada}/1/", HTTP_USER_AGENT=BROWSER)
    client.get(f"/t/c/{sato}/1/", HTTP_USER_AGENT=BROWSER)
    client.post(f"/u/{sato}/", {"List-Unsubscribe": "One-Click"})


@pytest.mark.parametrize("strategy", ["one_statement", "step_by_step"])
def test_both_ways_of_writing_give_the_same_figures(client, sent_campaign, monkeypatch, strategy):
    if strategy == "step_by_step":  # what the embedded SQLite mode runs
        monkeypatch.setattr(ResultWrite, "execute", ResultWrite._step_by_step)
    a_morning_of_activity(client, sent_campaign)

    assert activity(sent_campaign) == {
        "opened": 2,  # Yamada's pixel; Sato's click (his pixel came through a privacy proxy)
        "clicked": 2,
        "unsubscribed": 1,
        "machine": 1,
        "clicks": 2,
        "unique": 2,
        "events": 6,
    }


def test_counter_and_field_names_are_checked_before_they_reach_sql(sent_campaign):
    from tracking.result_writes import EventFacts
    from tracking.selectors import tracked_message

    message = tracked_message(token_of(sent_campaign, YAMADA))
    with pytest.raises(ValueError, match="not a first-time field"):
        ResultWrite(message, sent_campaign.started_at, EventFacts("opened"), {"opened_at; DROP TABLE x": "opened"})
    with pytest.raises(ValueError, match="not a first-time field"):
        ResultWrite(message, sent_campaign.started_at, EventFacts("opened"), {"opened_at": "tenant_id"})
