"""The campaign index's figures (D1), the campaign dashboard (D2) and its results CSV: what they show,
who may see them (A1, A3), and that the CSV opens in Japanese Excel without running formulas."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Message
from leads.models import Lead
from tests import factories
from tests.campaign_world import make_campaign, token_of

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
YAMADA = "yamada@aozora.example"
SATO = "sato@fuji.example"


@pytest.fixture
def read_campaign(client, sent_campaign):
    """Yamada opens and clicks link 1; Sato's mail is opened by a privacy proxy only, then Sato unsubscribes."""
    yamada, sato = token_of(sent_campaign, YAMADA), token_of(sent_campaign, SATO)
    client.get(f"/t/o/{yamada}.gif", HTTP_USER_AGENT=BROWSER)
    client.get(f"/t/c/{yamada}/1/", HTTP_USER_AGENT=BROWSER)
    client.get(f"/t/o/{sato}.gif", HTTP_USER_AGENT="Mozilla/5.0")
    client.post(f"/u/{sato}/", {"List-Unsubscribe": "One-Click"})
    return sent_campaign


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert match, f"no element #{element_id}"
    return match.group(1).strip()


# D1: the index


def figure_cells(page: str, campaign: Campaign) -> dict[str, str]:
    row = re.search(rf'<tr data-campaign="{campaign.pk}">(.*?)</tr>', page, re.S).group(1)
    return dict(re.findall(r'data-figure="(\w+)">([\d,]+)', row))


def test_the_index_shows_each_sent_campaigns_figures_and_rates(bob_client, read_campaign, tenant_a, bob):
    draft = make_campaign(tenant_a, bob, name="下書きの案内")

    page = bob_client.get("/campaigns/").content.decode()

    assert figure_cells(page, read_campaign) == {
        "sent": "2",
        "delivered": "2",
        "opened": "1",
        "clicked": "1",
        "unsubscribed": "1",
        "failed": "0",
    }
    assert "100.0%" in page and "50.0%" in page  # delivered of sent; opened, clicked, unsubscribed of delivered
    headings = re.findall(r'<th scope="col" class="num">([^<]+)</th>', page)
    assert headings == ["送信数", "到達数", "開封数", "クリック数", "配信停止数", "失敗"]  # D1's wording
    draft_row = re.search(rf'<tr data-campaign="{draft.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "data-figure" not in draft_row and "—" in draft_row


def test_the_index_costs_the_same_queries_for_one_or_many_campaigns(
    bob_client, sent_campaign, tenant_a, bob, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        bob_client.get("/campaigns/")
    for number in range(5):
        other = make_campaign(tenant_a, bob, name=f"送信済み{number}")
        Campaign.objects.filter(pk=other.pk).update(
            status=CampaignStatus.SENT, outcome_counts={"sent": 0, "failed": 0, "skipped": 0, "unknown": 0}
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert bob_client.get("/campaigns/").status_code == 200


# D2: the dashboard


def test_the_dashboard_shows_the_figures_people_and_machines_and_the_exclusions(bob_client, read_campaign):
    response = bob_client.get(f"/campaigns/{read_campaign.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    figures = {name: text_of(page, f"figure-{name}") for name in ("sent", "delivered", "opened", "clicked")}
    assert figures == {"sent": "2", "delivered": "2", "opened": "1", "clicked": "1"}
    assert text_of(page, "figure-unsubscribed") == "1" and text_of(page, "figure-failed") == "0"
    assert (text_of(page, "human-opened"), text_of(page, "machine-opened")) == ("1", "1")
    assert (text_of(page, "human-clicked"), text_of(page, "machine-clicked")) == ("1", "0")
    for reason in ("suppressed", "info", "invalid", "duplicate"):
        assert text_of(page, f"excluded-{reason}") == "0"
    assert "送信開始時に除外" in page  # the exclusion breakdown's heading (Japanese UI)
    assert "CSVダウンロード" in page and f'href="/campaigns/{read_campaign.pk}/results.csv"' in page
    assert text_of(page, "progress-sent") == "2"  # the progress block still works, from the stored outcome


def test_the_dashboard_lists_clicks_per_link_without_the_honeypot(bob_client, read_campaign, client):
    client.get(f"/t/c/{token_of(read_campaign, SATO)}/0/", HTTP_USER_AGENT=BROWSER)  # a scanner's honeypot click
    page = bob_client.get(f"/campaigns/{read_campaign.pk}/").content.decode()

    rows = re.findall(r'<tr data-link="(\d+)">.*?class="link-url">([^<]*)</td><td class="num">(\d+)</td>'
                      r'<td class="num">(\d+)</td>', page, re.S)  # fmt: skip
    assert rows == [
        ("1", "https://alpha.example/product", "1", "1"),
        ("2", "https://alpha.example/seminar?id=7&amp;ref=mail", "0", "0"),
    ]


def test_the_chart_gets_its_data_as_json_and_no_inline_script(bob_client, read_campaign):
    page = bob_client.get(f"/campaigns/{read_campaign.pk}/").content.decode()

    data = json.loads(
        re.search(r'<script id="activity-chart-data" type="application/json">(.*?)</script>', page).group(1)
    )
    opens, clicks = (dataset["data"] for dataset in data["datasets"])
    assert opens[-1] == 1 and sum(opens) == 1  # Yamada's open, this hour
    assert sum(clicks) == 1
    now_label = timezone.localtime(timezone.now()).strftime("%m/%d %H:00")  # Japan time
    assert data["labels"][-1] == now_label
    scripts = re.findall(r"<script[^>]*>", page)
    assert any("chart.umd" in tag for tag in scripts) and any("campaign-chart" in tag for tag in scripts)
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts)  # no inline script (CSP)
    assert 'id="activity-chart"' in page


def test_a_campaign_without_activity_says_so_instead_of_an_empty_chart(bob_client, sent_campaign):
    page = bob_client.get(f"/campaigns/{sent_campaign.pk}/").content.decode()
    assert "activity-chart-data" not in page and "chart.umd" not in page


def test_drafts_have_no_dashboard(bob_client, draft):
    page = bob_client.get(f"/campaigns/{draft.pk}/").content.decode()
    assert 'id="campaign-results"' not in page and 'id="recipient-count"' in page


def test_who_sees_the_dashboard_follows_who_sees_the_campaign(
    read_campaign, bob_client, mary_client, alice_client, charlie_client, tenant_a
):
    from django.test import Client

    colleague = Client()
    colleague.force_login(factories.make_user(tenant_a, email="rep2@alpha.example"))
    for path in (f"/campaigns/{read_campaign.pk}/", f"/campaigns/{read_campaign.pk}/results.csv"):
        assert bob_client.get(path).status_code == 200  # the owner
        assert mary_client.get(path).status_code == 200  # a manager sees all of the tenant's
        assert alice_client.get(path).status_code == 200  # an admin too
        assert colleague.get(path).status_code == 404  # another rep: not one of theirs
        assert charlie_client.get(path).status_code == 404  # another tenant


# The results CSV


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))


def test_the_csv_has_every_recipients_outcome_in_japan_time(bob_client, read_campaign):
    response = bob_client.get(f"/campaigns/{read_campaign.pk}/results.csv")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    header, *rows = read_csv(response)
    assert header == [
        "メールアドレス", "会社名", "氏名", "ステータス", "送信日時", "到達日時", "開封日時", "クリック日時",
        "配信停止日時", "バウンス日時", "迷惑メール報告日時", "理由",
    ]  # fmt: skip
    assert "%E9%85%8D%E4%BF%A1%E7%B5%90%E6%9E%9C.csv" in response["Content-Disposition"]  # …_配信結果.csv
    by_email = {row[0]: row for row in rows}
    assert set(by_email) == {YAMADA, SATO}
    yamada = Message.objects.get(campaign=read_campaign, email_normalized=YAMADA)
    tokyo = "%Y/%m/%d %H:%M"
    assert by_email[YAMADA][:4] == [YAMADA, "青空システム", "山田 太郎", "送信済み"]
    assert by_email[YAMADA][4:8] == [
        timezone.localtime(yamada.sent_at).strftime(tokyo),
        timezone.localtime(yamada.delivered_at).strftime(tokyo),
        timezone.localtime(yamada.opened_at).strftime(tokyo),
        timezone.localtime(yamada.clicked_at).strftime(tokyo),
    ]
    assert by_email[YAMADA][8:] == ["", "", "", ""]
    assert by_email[SATO][6:8] == ["", ""]  # a machine's open is no open
    assert by_email[SATO][8] != ""  # unsubscribed


def test_the_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(bob_client, read_campaign):
    Lead.objects.filter(email=YAMADA).update(company_name='=HYPERLINK("http://evil.example","x")', last_name="+1")
    Message.objects.filter(campaign=read_campaign, email_normalized=SATO).update(error="-2+3 refused")

    _header, *rows = read_csv(bob_client.get(f"/campaigns/{read_campaign.pk}/results.csv"))

    by_email = {row[0]: row for row in rows}
    assert by_email[YAMADA][1] == '\'=HYPERLINK("http://evil.example","x")'
    assert by_email[YAMADA][2] == "'+1 太郎"
    assert by_email[SATO][-1] == "'-2+3 refused"


def test_the_csv_keeps_recipients_whose_lead_was_deleted(bob_client, read_campaign):
    Lead.objects.filter(email=SATO).delete()
    _header, *rows = read_csv(bob_client.get(f"/campaigns/{read_campaign.pk}/results.csv"))
    sato = next(row for row in rows if row[0] == SATO)
    assert sato[1:3] == ["", ""]


def message_counts(client, path: str) -> list[str]:
    """The queries a page makes that count campaign messages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and '"campaigns_message"' in q["sql"]]


def test_a_finished_campaigns_dashboard_counts_no_messages_and_a_sending_one_counts_them_once(
    bob_client, sent_campaign, tenant_a, bob, settings
):
    from campaigns import services

    assert message_counts(bob_client, f"/campaigns/{sent_campaign.pk}/") == []
    assert message_counts(bob_client, f"/campaigns/{sent_campaign.pk}/?status=sent&page=1") == []

    sending = make_campaign(tenant_a, bob, lead_list=sent_campaign.lead_list, name="送信中の案内")
    services.request_send(sending)
    services.start_sending(sending.pk)
    page = bob_client.get(f"/campaigns/{sending.pk}/").content.decode()
    assert text_of(page, "progress-remaining") == "2" and text_of(page, "figure-sent") == "0"
    [grouped, *paginator] = message_counts(bob_client, f"/campaigns/{sending.pk}/")
    assert "GROUP BY" in grouped and len(paginator) <= 1  # the figures' count feeds the progress block too
