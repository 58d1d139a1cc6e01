"""Mail-activity conditions of lead lists (L3): {"mail": {"campaign": id | "any", "event": ...}}
matched against what really happened to campaign mail (the tracking endpoints and provider events),
refused with a message naming the problem, on the filter screen and through the API."""

import re

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from campaigns.models import Message
from leads.filters import FilterError, compile_filter
from leads.models import Lead, LeadList
from leads.selectors import leads_matching
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, send_in_process, token_of
from tracking.services import record_provider_event

HUMAN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"
SCANNER = "python-requests/2.31"
YAMADA, SATO, KATO, WATANABE, SUZUKI = (
    "yamada@aozora.example",
    "sato@fuji.example",
    "kato@hikari.example",
    "watanabe@midori.example",
    "suzuki@sakura.example",  # 金融: never sent anything
)


@pytest.fixture
def more_it_leads(tenant_a, ready_list):
    factories.make_lead(tenant_a, company_name="ひかり電機", industry="IT", email=KATO)
    factories.make_lead(tenant_a, company_name="みどり商店", industry="IT", email=WATANABE)


@pytest.fixture
def world(client, more_it_leads, sent_campaign, bob, tenant_b):
    """Autumn campaign to the four IT leads, then a winter one to those still reachable:

    autumn: Yamada opens and clicks; Sato bounces (and is suppressed); Kato's mail is opened only
            by a scanner; Watanabe unsubscribes without opening.
    winter: sent to Yamada and Kato; Kato opens it.
    Tenant B has a lead and a sent-looking campaign of its own.
    """
    autumn = sent_campaign
    token = token_of(autumn, YAMADA)
    client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)
    client.get(f"/t/c/{token}/1/", HTTP_USER_AGENT=HUMAN)
    bounced = Message.objects.get(campaign=autumn, email_normalized=SATO)
    record_provider_event(
        provider_message_id=bounced.provider_message_id, kind="bounced", event_id="b1", at=None, detail="550 no user"
    )
    client.get(f"/t/o/{token_of(autumn, KATO)}.gif", HTTP_USER_AGENT=SCANNER)
    client.post(f"/u/{token_of(autumn, WATANABE)}/", {"List-Unsubscribe": "One-Click"})

    winter = send_in_process(make_campaign(autumn.tenant, bob, lead_list=autumn.lead_list, name="冬のご案内"))
    assert set(Message.objects.filter(campaign=winter).values_list("email_normalized", flat=True)) == {YAMADA, KATO}
    client.get(f"/t/o/{token_of(winter, KATO)}.gif", HTTP_USER_AGENT=HUMAN)

    factories.make_lead(tenant_b, company_name="ベータの顧客", industry="IT", email=YAMADA)
    other = factories.make_user(tenant_b, email="dave@beta.example")
    foreign = make_campaign(tenant_b, other, name="ベータの案内")
    return {"autumn": autumn, "winter": winter, "foreign": foreign}


def mail(campaign, event) -> dict:
    return {"all": [{"mail": {"campaign": campaign, "event": event}}]}


def matching(tenant, lead_filter) -> set[str]:
    return set(leads_matching(tenant, lead_filter).values_list("email_normalized", flat=True))


@pytest.mark.parametrize(
    ("campaign", "event", "expected"),
    [
        ("any", "delivered", {YAMADA, SATO, KATO, WATANABE}),  # SMTP: accepted is delivered
        ("autumn", "delivered", {YAMADA, SATO, KATO, WATANABE}),
        ("winter", "delivered", {YAMADA, KATO}),
        ("any", "opened", {YAMADA, KATO}),
        ("autumn", "opened", {YAMADA}),  # Kato's autumn mail was opened only by a scanner
        ("winter", "opened", {KATO}),
        ("any", "clicked", {YAMADA}),
        ("autumn", "clicked", {YAMADA}),
        ("winter", "clicked", set()),
        ("any", "failed", {SATO}),
        ("autumn", "failed", {SATO}),
        ("winter", "failed", set()),
        ("any", "unsubscribed", {WATANABE}),
        ("autumn", "unsubscribed", {WATANABE}),
        ("winter", "unsubscribed", set()),
        ("autumn", "not_opened", {KATO, WATANABE}),  # Sato's bounced: failed, not "not opened"
        ("winter", "not_opened", {YAMADA}),
        ("any", "not_opened", {WATANABE}),  # sent mail and opened none of it
    ],
)
def test_each_event_matches_exactly_the_leads_it_names(world, tenant_a, campaign, event, expected):
    campaign_id = campaign if campaign == "any" else world[campaign].pk
    assert matching(tenant_a, mail(campaign_id, event)) == expected


def test_a_lead_never_sent_anything_matches_no_mail_event(world, tenant_a):
    for event in ("delivered", "opened", "clicked", "failed", "unsubscribed", "not_opened"):
        assert SUZUKI not in matching(tenant_a, mail("any", event))


def test_mail_conditions_combine_with_the_others(world, tenant_a):
    lead_filter = {
        "all": [
            {"mail": {"campaign": world["autumn"].pk, "event": "not_opened"}},
            {"field": "unsubscribed", "op": "is", "value": False},
            {"field": "industry", "op": "eq", "value": "IT"},
        ]
    }
    assert matching(tenant_a, lead_filter) == {KATO}
    assert matching(tenant_a, {"all": [*mail("any", "opened")["all"], *mail("any", "clicked")["all"]]}) == {YAMADA}


def test_another_tenant_sees_nothing_of_this_activity(world, tenant_b):
    for event in ("delivered", "opened", "clicked", "failed", "unsubscribed", "not_opened"):
        assert matching(tenant_b, mail("any", event)) == set()


def test_a_send_failure_counts_as_failed(tenant_a, bob, refusing_mail_server, settings):
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    make_ready_to_send(tenant_a)
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    factories.make_lead(tenant_a, email="bounce@kaisha.example", industry="IT")
    factories.make_lead(tenant_a, email="fine@kaisha.example", industry="IT")
    it_list = factories.make_lead_list(tenant_a, filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]})
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=it_list))
    assert Message.objects.get(campaign=campaign, email_normalized="bounce@kaisha.example").status == "failed"
    assert matching(tenant_a, mail(campaign.pk, "failed")) == {"bounce@kaisha.example"}
    assert matching(tenant_a, mail(campaign.pk, "not_opened")) == {"fine@kaisha.example"}
    assert matching(tenant_a, mail(campaign.pk, "delivered")) == {"fine@kaisha.example"}


def test_the_query_asks_exists_of_the_leads_own_messages(world, tenant_a):
    sql = str(leads_matching(tenant_a, mail(world["autumn"].pk, "clicked")).query)
    assert "EXISTS" in sql and 'U0."lead_id" = ("leads_lead"."id")' in sql


# --- Refused filters ---------------------------------------------------------------------------------


def refusal(tenant, condition) -> str:
    """The message (in English) of the FilterError the condition, second in a filter, raises."""
    with translation.override("en"), pytest.raises(FilterError) as caught:
        compile_filter({"all": [{"field": "industry", "op": "eq", "value": "IT"}, condition]}, tenant)
    error = caught.value
    assert error.index == 1 and error.field == "mail"
    with translation.override("en"):
        return str(error)


def test_a_campaign_of_another_tenant_is_refused_naming_it(world, tenant_a):
    foreign = world["foreign"].pk
    message = refusal(tenant_a, {"mail": {"campaign": foreign, "event": "opened"}})
    assert message == f"Condition 2 (mail): Campaign id {foreign} is not a campaign of your company."
    message = refusal(tenant_a, {"mail": {"campaign": 987654321, "event": "opened"}})
    assert message.endswith("Campaign id 987654321 is not a campaign of your company.")


@pytest.mark.parametrize(
    ("mail_value", "message"),
    [
        ({"campaign": "12", "event": "opened"}, 'Campaign "12" is not a campaign id (a whole number) or "any".'),
        ({"campaign": True, "event": "opened"}, "Campaign true is not a campaign id"),
        ({"campaign": 0, "event": "opened"}, "Campaign 0 is not a campaign id"),
        ({"campaign": 12.0, "event": "opened"}, "Campaign 12.0 is not a campaign id"),
        ({"campaign": 2**40, "event": "opened"}, f"Campaign {2**40} is not a campaign id"),
        ({"campaign": None, "event": "opened"}, "Campaign null is not a campaign id"),
        ({"campaign": "ANY", "event": "opened"}, 'Campaign "ANY" is not a campaign id'),
        ({"campaign": "any", "event": "bounced"}, 'Unknown mail event "bounced"; use one of: delivered, opened'),
        ({"campaign": "any", "event": ["opened"]}, 'Unknown mail event ["opened"]'),
        ({"campaign": "any"}, '"event" is missing.'),
        ({"event": "opened"}, '"campaign" is missing.'),
        ({"campaign": "any", "event": "opened", "since": "2026-01-01"}, 'Unknown key "since"; "mail" has'),
        ("opened", '"mail" must be an object like {"campaign": 12, "event": "opened"}, not "opened".'),
    ],
)
def test_bad_mail_conditions_are_refused_naming_the_problem(world, tenant_a, mail_value, message):
    assert message in refusal(tenant_a, {"mail": mail_value})


def test_a_mail_condition_with_extra_keys_is_refused(world, tenant_a):
    message = refusal(tenant_a, {"mail": {"campaign": "any", "event": "opened"}, "op": "eq"})
    assert 'Unknown key "op"; a mail-activity condition has only "mail".' in message


# --- Through the API -----------------------------------------------------------------------------------


@pytest.fixture
def api(bob_api):
    bob_api.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return bob_api


def test_api_preview_and_create_accept_mail_conditions(world, api):
    autumn = world["autumn"].pk
    response = api.post("/api/v1/lead-lists/preview/", {"filter": mail(autumn, "not_opened")}, format="json")
    assert response.status_code == 200 and response.json() == {"count": 2}
    response = api.post("/api/v1/lead-lists/", {"name": "未開封", "filter": mail("any", "opened")}, format="json")
    assert response.status_code == 201 and response.json()["count"] == 2
    lead_list = LeadList.objects.get(pk=response.json()["id"])
    assert lead_list.filter == mail("any", "opened")
    leads = api.get(f"/api/v1/lead-lists/{lead_list.pk}/leads/").json()
    assert {lead["email"] for lead in leads["results"]} == {YAMADA, KATO}


def test_api_refuses_another_tenants_campaign(world, api):
    foreign = world["foreign"].pk
    response = api.post("/api/v1/lead-lists/preview/", {"filter": mail(foreign, "opened")}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Condition 1 (mail): Campaign id {foreign} is not a campaign of your company.",
        "code": "invalid_filter",
    }
    response = api.post("/api/v1/lead-lists/", {"name": "x", "filter": mail("any", "read")}, format="json")
    assert response.status_code == 400 and 'Unknown mail event "read"' in response.json()["filter"][0]
    assert not LeadList.objects.filter(name="x").exists()


# --- The filter screen ---------------------------------------------------------------------------------


@pytest.fixture
def english(bob_client):
    bob_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return bob_client


def mail_row(campaign, event, key="m1") -> dict:
    return {
        "row": [key],
        f"cond-{key}-field": "mail",
        f"cond-{key}-kind": "mail",
        f"cond-{key}-op": event,
        f"cond-{key}-value": str(campaign),
    }


def options(body: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select id="{name}" name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def test_choosing_mail_activity_redraws_the_row_with_campaign_and_event(world, english, tenant_a, bob):
    draft = make_campaign(tenant_a, bob, name="下書きのまま")
    response = english.get(
        "/leads/lists/filter-row/",
        {"row": "abc", "cond-abc-field": "mail", "cond-abc-kind": "text", "cond-abc-op": "contains"},
        HTTP_HX_TRIGGER_NAME="cond-abc-field",
    )
    body = response.content.decode()
    assert ("mail", "Mail activity") in options(body, "cond-abc-field")
    campaigns = options(body, "cond-abc-value")
    assert campaigns == [
        ("any", "Any campaign"),
        (str(world["winter"].pk), "冬のご案内"),
        (str(world["autumn"].pk), world["autumn"].name),
    ]
    assert str(draft.pk) not in dict(campaigns) and str(world["foreign"].pk) not in dict(campaigns)
    assert [value for value, _label in options(body, "cond-abc-op")] == [
        "opened",
        "clicked",
        "not_opened",
        "delivered",
        "failed",
        "unsubscribed",
    ]
    assert 'value="any" selected' in body and 'value="opened" selected' in body
    assert '<label class="visually-hidden" for="cond-abc-value">Campaign</label>' in body
    assert '<label class="visually-hidden" for="cond-abc-op">Mail event</label>' in body
    assert "filter-changed" in response["HX-Trigger-After-Settle"]


def test_the_live_count_follows_the_mail_condition(world, english):
    body = english.post("/leads/lists/preview/", mail_row(world["autumn"].pk, "not_opened")).content.decode()
    assert "Matching leads: 2" in body
    body = english.post("/leads/lists/preview/", mail_row("any", "clicked")).content.decode()
    assert "Matching leads: 1" in body and "青空システム" in body


def test_another_tenants_campaign_is_refused_next_to_the_row(world, english):
    foreign = world["foreign"].pk
    body = english.post("/leads/lists/preview/", mail_row(foreign, "opened")).content.decode()
    assert "Fix the condition marked in red" in body
    assert f"Campaign id {foreign} is not a campaign of your company." in body


def test_saving_a_list_with_a_mail_condition(world, english, tenant_a):
    autumn = world["autumn"]
    data = {"name": "秋の案内をクリック", **mail_row(autumn.pk, "clicked")}
    response = english.post("/leads/lists/new/", data)
    assert response.status_code == 302
    lead_list = LeadList.objects.get(tenant=tenant_a, name="秋の案内をクリック")
    assert lead_list.filter == mail(autumn.pk, "clicked")

    page = english.get(response["Location"]).content.decode()
    assert f"Clicked a link in the mail of “{autumn.name}”" in page
    assert "青空システム" in page and "ひかり電機" not in page

    edit = english.get(f"/leads/lists/{lead_list.pk}/edit/").content.decode()
    assert f'<option value="{autumn.pk}" selected>' in edit and '<option value="clicked" selected>' in edit
    response = english.post(f"/leads/lists/{lead_list.pk}/edit/", {"name": "未開封", **mail_row("any", "not_opened")})
    assert response.status_code == 302
    lead_list.refresh_from_db()
    assert lead_list.filter == mail("any", "not_opened")
    assert "Was sent campaign mail and opened none of it" in english.get(response["Location"]).content.decode()


def test_a_lead_deleted_later_leaves_its_messages_matching_nothing(world, tenant_a):
    Lead.objects.filter(email_normalized=YAMADA, tenant=tenant_a).delete()
    assert matching(tenant_a, mail("any", "clicked")) == set()
