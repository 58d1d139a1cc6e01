"""Recording sent mail in Salesforce (I1, C11) against a local Salesforce (tests/salesforce_fake.py).

The sync functions are called directly (sync.run is what the beat task runs); one test runs the task in a real
Celery worker.
"""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection as db_connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from campaigns.models import Campaign, Message
from integrations.models import SalesforceCampaignState, SalesforceConnection, SalesforceSyncRecord
from integrations.salesforce import client as client_module
from integrations.salesforce import selectors, services, sync
from integrations.salesforce.client import AccessToken
from integrations.salesforce.tasks import sync_salesforce
from tests import factories
from tests.campaign_world import TWO_LINK_BODY, make_campaign, make_ready_to_send, send_in_process
from tests.salesforce_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIMIT_EXCEEDED,
    REFRESH_TOKEN,
    SECURITY_TOKEN,
    SERVER_ERROR,
    USERNAME,
)

pytest_plugins = ["tests.salesforce_fake"]  # the fake_salesforce and salesforce_tls fixtures

YAMADA = "yamada@aozora.example"
SATO = "sato@fuji.example"


@pytest.fixture
def sending(settings, tenant_a):
    """Mail goes to Django's locmem outbox, fast (as campaign_world's sent_campaign)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://mail.okuru.example"
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()


def connect(tenant, user, fake, **overrides) -> SalesforceConnection:
    values = {
        "instance_url": fake.url,
        "auth_method": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    return services.save_connection(tenant, user, **{**values, **overrides})


@pytest.fixture
def connected(tenant_a, alice, fake_salesforce) -> SalesforceConnection:
    return connect(tenant_a, alice, fake_salesforce)


@pytest.fixture
def synced_campaign(sending, tenant_a, bob, ready_list) -> Campaign:
    """Bob's campaign with C11 on, sent to the two IT leads of ready_list (山田 at 青空システム, 佐藤 at 富士工業)."""
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list, body_html=TWO_LINK_BODY, salesforce_sync=True)
    return send_in_process(campaign)


def records(campaign) -> dict[str, SalesforceSyncRecord]:
    return {
        record.message.email_normalized: record
        for record in SalesforceSyncRecord.objects.filter(campaign=campaign).select_related("message")
    }


def message_rows(campaign) -> list[dict]:
    return list(Message.objects.filter(campaign=campaign).order_by("pk").values())


def make_due(campaign=None) -> None:
    """Time passes: every waiting retry and pause is over."""
    past = timezone.now() - timedelta(seconds=1)
    due = SalesforceSyncRecord.objects.filter(next_attempt_at__isnull=False)
    (due.filter(campaign=campaign) if campaign else due).update(next_attempt_at=past)
    SalesforceConnection.objects.filter(paused_until__isnull=False).update(paused_until=past)


def assert_about(moment, expected, slack=timedelta(seconds=30)):
    assert moment is not None
    assert expected - slack <= moment <= expected + slack, (moment, expected)


def test_each_sent_mail_becomes_a_completed_email_task_on_its_contact_or_lead(
    connected, synced_campaign, fake_salesforce
):
    contact_id = fake_salesforce.add_contact("Yamada@Aozora.example")  # Salesforce keeps the case it was given
    lead_id = fake_salesforce.add_lead(SATO)
    messages_before = message_rows(synced_campaign)

    totals = sync.run()

    assert totals == {"recorded": 2}
    assert message_rows(synced_campaign) == messages_before  # Message rows are only read
    creates = fake_salesforce.received("/composite/sobjects")
    assert len(creates) == 1
    assert creates[0].body["allOrNone"] is False
    assert [record["attributes"] for record in creates[0].body["records"]] == [{"type": "Task"}] * 2
    tasks = {task["WhoId"]: task for task in fake_salesforce.tasks}
    assert set(tasks) == {contact_id, lead_id}

    yamada_message = Message.objects.get(campaign=synced_campaign, email_normalized=YAMADA)
    sent_day = yamada_message.sent_at.astimezone(ZoneInfo("Asia/Tokyo"))
    task = tasks[contact_id]
    assert task["Subject"] == "メール送信: 青空システム様へ新製品のご案内"
    assert task["Status"] == "Completed"
    assert task["TaskSubtype"] == "Email"
    assert task["ActivityDate"] == sent_day.date().isoformat()
    description = task["Description"]
    assert description.startswith(
        "キャンペーン: 秋の新製品案内\n"
        "件名: 青空システム様へ新製品のご案内\n"
        f"送信日時: {sent_day:%Y/%m/%d %H:%M}\n"
        f"宛先: {YAMADA}\n\n"
        "青空システム 山田 太郎様\n"
    )
    assert "新製品のご紹介 (https://alpha.example/product)" in description
    assert "<p>" not in description and "<a " not in description  # plain text
    assert yamada_message.token not in description  # no tracking link of the recipient's
    assert "\n配信停止はこちら\n" in description and "/u/" not in description  # nor an unsubscribe link
    assert description.endswith("お問い合わせ先: support@alpha.example")  # the legal footer (A5) closes it
    assert tasks[lead_id]["Subject"] == "メール送信: 富士工業様へ新製品のご案内"

    by_email = records(synced_campaign)
    yamada, sato = by_email[YAMADA], by_email[SATO]
    assert (yamada.status, yamada.who_type, yamada.who_id, yamada.matched_records) == (
        "recorded",
        "Contact",
        contact_id,
        1,
    )
    assert yamada.salesforce_task_id == tasks[contact_id]["Id"]
    assert (sato.status, sato.who_type, sato.who_id) == ("recorded", "Lead", lead_id)
    assert yamada.attempts == 1 and yamada.next_attempt_at is None and yamada.error == ""

    summary = selectors.salesforce_summary(synced_campaign)
    assert (summary.recorded, summary.unmatched, summary.failed, summary.waiting) == (2, 0, 0, 0)
    assert SalesforceConnection.objects.get().last_success_at is not None


def test_a_second_run_records_nothing_twice_and_a_finished_campaign_is_left_alone(
    connected, synced_campaign, fake_salesforce
):
    fake_salesforce.add_contact(YAMADA)
    sync.run()
    assert len(fake_salesforce.tasks) == 1
    fake_salesforce.requests.clear()

    assert sync.run() == {}
    assert fake_salesforce.requests == []  # not even a sign-in: nothing was due
    assert SalesforceCampaignState.objects.filter(campaign=synced_campaign).exists()
    assert selectors.campaigns_to_sync(synced_campaign.tenant) == []


def test_addresses_are_looked_up_in_bulk_one_query_per_chunk(
    sending, connected, tenant_a, bob, fake_salesforce, monkeypatch
):
    make_ready_to_send(tenant_a)
    emails = [f"person{number:02d}@kaisha{number % 3}.example" for number in range(30)] + ["o'neil@kawa.example"]
    for email in emails:
        factories.make_lead(tenant_a, email=email, industry="商社")
    lead_list = factories.make_lead_list(tenant_a, filter={"all": [{"field": "industry", "op": "eq", "value": "商社"}]})
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=lead_list, salesforce_sync=True))
    contact_ids = {email: fake_salesforce.add_contact(email) for email in emails[::2]}
    lead_ids = {email: fake_salesforce.add_lead(email) for email in emails[1::2]}

    assert sync.run() == {"recorded": 31}

    assert len(fake_salesforce.queries("Contact")) == 1  # one query for 31 addresses, not 31
    assert len(fake_salesforce.queries("Lead")) == 1
    assert "IsConverted = false" in fake_salesforce.queries("Lead")[0]
    assert "'o\\'neil@kawa.example'" in fake_salesforce.queries("Contact")[0]  # quoted and escaped
    assert len(fake_salesforce.received("/composite/sobjects")) == 1
    who = {record.message.email_normalized: record.who_id for record in records(campaign).values()}
    assert who == {**contact_ids, **lead_ids}

    # a long list is split: each query's URL-encoded list within the budget, every address asked once
    monkeypatch.setattr(client_module, "MAX_ENCODED_QUERY", 400)
    SalesforceSyncRecord.objects.all().delete()
    SalesforceCampaignState.objects.all().delete()
    fake_salesforce.requests.clear()
    assert sync.run() == {"recorded": 31}
    contact_queries = fake_salesforce.queries("Contact")
    assert len(contact_queries) == 3
    for soql in contact_queries:
        in_list = soql[soql.index(" IN (") + 4 :]
        assert len(urllib.parse.quote_plus(in_list)) <= 400
    assert len(fake_salesforce.queries("Lead")) == len(contact_queries)
    asked = [
        email
        for soql in contact_queries
        for email in emails
        if f"'{email.replace(chr(39), chr(92) + chr(39))}'" in soql
    ]
    assert sorted(asked) == sorted(emails)


def test_addresses_found_nowhere_are_counted_unmatched(connected, synced_campaign, fake_salesforce):
    fake_salesforce.add_lead(YAMADA, converted=True)  # a converted Lead takes no new activity

    assert sync.run() == {"unmatched": 2}

    assert fake_salesforce.received("/composite/sobjects") == []
    assert {record.status for record in records(synced_campaign).values()} == {"unmatched"}
    summary = selectors.salesforce_summary(synced_campaign)
    assert (summary.recorded, summary.unmatched, summary.failed) == (0, 2, 0)


def test_an_address_on_several_records_goes_on_the_first_contact_else_the_first_lead(
    connected, synced_campaign, fake_salesforce
):
    first_contact = fake_salesforce.add_contact(YAMADA)
    fake_salesforce.add_lead(YAMADA)
    fake_salesforce.add_contact(YAMADA.upper())
    first_lead = fake_salesforce.add_lead(SATO)
    fake_salesforce.add_lead(SATO)

    sync.run()

    by_email = records(synced_campaign)
    assert (by_email[YAMADA].who_type, by_email[YAMADA].who_id, by_email[YAMADA].matched_records) == (
        "Contact",
        first_contact,
        3,
    )
    assert (by_email[SATO].who_type, by_email[SATO].who_id, by_email[SATO].matched_records) == ("Lead", first_lead, 2)
    assert len(fake_salesforce.tasks) == 2  # one Task per mail, however many records match


def test_wrong_credentials_fail_with_salesforces_message_lose_nothing_and_are_retried(
    tenant_a, alice, synced_campaign, fake_salesforce
):
    connect(
        tenant_a,
        alice,
        fake_salesforce,
        auth_method="password",
        username=USERNAME,
        password="wrong-password",
        security_token=SECURITY_TOKEN,
        refresh_token="",
    )
    fake_salesforce.add_contact(YAMADA)
    fake_salesforce.add_contact(SATO)
    messages_before = message_rows(synced_campaign)

    assert sync.run() == {"failed": 2}

    token_request = fake_salesforce.received("/services/oauth2/token")[0]
    assert token_request.form["grant_type"] == "password"
    assert token_request.form["password"] == "wrong-password" + SECURITY_TOKEN
    assert fake_salesforce.received("/services/data/") == []
    now = timezone.now()
    for record in records(synced_campaign).values():
        assert record.status == "failed"
        assert record.error == "invalid_grant: authentication failure"
        assert record.attempts == 1
        assert_about(record.next_attempt_at, now + timedelta(seconds=services.RETRY_BASE_SECONDS))
    connection = SalesforceConnection.objects.get()
    assert connection.last_error == "invalid_grant: authentication failure"
    assert_about(connection.paused_until, now + timedelta(seconds=services.RETRY_BASE_SECONDS))
    assert message_rows(synced_campaign) == messages_before  # sending's records untouched

    # paused: no sign-in attempt until the time comes (a locked-out user stays locked otherwise)
    fake_salesforce.requests.clear()
    assert sync.run() == {}
    assert fake_salesforce.requests == []

    # the password is set in Salesforce to what Okuru has; the retry time comes
    fake_salesforce.passwords[USERNAME] = "wrong-password" + SECURITY_TOKEN
    make_due()
    assert sync.run() == {"recorded": 2}
    assert {record.attempts for record in records(synced_campaign).values()} == {2}
    assert SalesforceConnection.objects.get().last_error == ""


def test_saving_the_connection_again_makes_failed_records_due_at_once(
    tenant_a, alice, synced_campaign, fake_salesforce
):
    connect(tenant_a, alice, fake_salesforce, refresh_token="revoked-refresh-token")
    fake_salesforce.add_contact(YAMADA)
    assert sync.run() == {"failed": 2}
    assert {r.error for r in records(synced_campaign).values()} == {"invalid_grant: expired access/refresh token"}

    connect(tenant_a, alice, fake_salesforce)  # the admin enters a new refresh token

    assert sync.run() == {"recorded": 1, "unmatched": 1}


def test_an_expired_session_is_renewed_once_and_the_call_repeated(connected, synced_campaign, fake_salesforce):
    services.save_access_token(connected, AccessToken("00D000000000001!expired", fake_salesforce.url))
    fake_salesforce.add_contact(YAMADA)

    assert sync.run() == {"recorded": 1, "unmatched": 1}

    api_calls = fake_salesforce.received("/services/")
    assert [call.path for call in api_calls[:3]] == [
        "/services/data/v62.0/query/",
        "/services/oauth2/token",
        "/services/data/v62.0/query/",
    ]
    assert api_calls[0].authorization == "Bearer 00D000000000001!expired"
    assert api_calls[1].form["grant_type"] == "refresh_token"
    assert api_calls[1].form["refresh_token"] == REFRESH_TOKEN
    assert api_calls[2].authorization != api_calls[0].authorization
    assert len(fake_salesforce.received("/services/oauth2/token")) == 1
    # the new token is kept for the next run, encrypted
    connection = SalesforceConnection.objects.get()
    assert connection.api_url == fake_salesforce.url
    assert "expired" not in connection.access_token_encrypted

    # a session refused again right after renewal is a failure of the sign-in, not a loop
    fake_salesforce.fail(
        "/query", 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], times=2
    )
    SalesforceSyncRecord.objects.all().delete()
    SalesforceCampaignState.objects.all().delete()
    fake_salesforce.requests.clear()
    assert sync.run() == {"failed": 2}
    assert len(fake_salesforce.received("/services/oauth2/token")) == 1
    assert {r.error for r in records(synced_campaign).values()} == {"INVALID_SESSION_ID: Session expired or invalid"}


@pytest.mark.parametrize("status", [403, 429])
def test_request_limit_exceeded_is_retried_later_with_back_off(connected, synced_campaign, fake_salesforce, status):
    fake_salesforce.add_contact(YAMADA)
    fake_salesforce.add_contact(SATO)
    fake_salesforce.fail("/query", status, LIMIT_EXCEEDED, times=2)

    assert sync.run() == {"failed": 2}
    now = timezone.now()
    for record in records(synced_campaign).values():
        assert (record.error, record.error_code) == (
            "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.",
            "REQUEST_LIMIT_EXCEEDED",
        )
        assert record.attempts == 1
        assert_about(record.next_attempt_at, now + timedelta(minutes=1))
    assert sync.run() == {}  # not before its time

    make_due()
    assert sync.run() == {"failed": 2}
    now = timezone.now()
    for record in records(synced_campaign).values():
        assert record.attempts == 2
        assert_about(record.next_attempt_at, now + timedelta(minutes=2))  # the wait doubles
    assert SalesforceConnection.objects.get().failures == 2

    make_due()
    assert sync.run() == {"recorded": 2}
    assert len(fake_salesforce.tasks) == 2
    assert SalesforceConnection.objects.get().failures == 0


def test_attempts_are_capped(connected, synced_campaign, fake_salesforce):
    fake_salesforce.fail("/query", 503, SERVER_ERROR, times=100)
    for _attempt in range(services.MAX_ATTEMPTS):
        make_due()
        sync.run()
    for record in records(synced_campaign).values():
        assert record.attempts == services.MAX_ATTEMPTS
        assert record.next_attempt_at is None  # given up: "retry failed" starts it again
    assert services.backoff(20) == timedelta(seconds=services.RETRY_MAX_SECONDS)


def test_a_server_error_while_creating_fails_the_batch_and_is_retried(connected, synced_campaign, fake_salesforce):
    fake_salesforce.add_contact(YAMADA)
    fake_salesforce.add_lead(SATO)
    fake_salesforce.fail("/composite/sobjects", 500, SERVER_ERROR)

    assert sync.run() == {"failed": 2}
    expected = "UNKNOWN_EXCEPTION: An unexpected error occurred. Please include this ErrorId: 1234-5678 (-98765)"
    assert {record.error for record in records(synced_campaign).values()} == {expected}
    assert fake_salesforce.tasks == []

    make_due()
    assert sync.run() == {"recorded": 2}
    assert len(fake_salesforce.tasks) == 2


def test_a_record_salesforce_refuses_fails_alone_with_salesforces_message(connected, synced_campaign, fake_salesforce):
    fake_salesforce.add_contact(YAMADA)
    sato_lead = fake_salesforce.add_lead(SATO)
    fake_salesforce.record_errors[sato_lead] = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "件名に社外秘の語句は使えません")

    assert sync.run() == {"recorded": 1, "failed": 1}

    by_email = records(synced_campaign)
    assert by_email[YAMADA].status == "recorded"
    sato = by_email[SATO]
    assert sato.status == "failed"
    assert sato.error == "FIELD_CUSTOM_VALIDATION_EXCEPTION: 件名に社外秘の語句は使えません"
    assert sato.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert sato.next_attempt_at is None  # a rule of the org: not retried by itself
    assert SalesforceConnection.objects.get().paused_until is None  # the connection is fine

    summary = selectors.salesforce_summary(synced_campaign)
    assert (summary.recorded, summary.unmatched, summary.failed) == (1, 0, 1)
    assert [(row.reason, row.count) for row in summary.failure_reasons] == [
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION: 件名に社外秘の語句は使えません", 1)
    ]

    # a temporary one is retried by itself
    fake_salesforce.record_errors[sato_lead] = (
        "UNABLE_TO_LOCK_ROW",
        "unable to obtain exclusive access to this record",
    )
    services.retry_failed(synced_campaign)
    assert sync.run() == {"failed": 1}
    assert records(synced_campaign)[SATO].next_attempt_at is not None


def test_retry_failed_button_queues_the_failed_records_and_returns_to_the_campaign(
    connected, synced_campaign, fake_salesforce, bob_client, mary_client, tenant_a
):
    fake_salesforce.add_contact(YAMADA)
    sato_lead = fake_salesforce.add_lead(SATO)
    fake_salesforce.record_errors[sato_lead] = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "入力規則違反")
    sync.run()
    assert sync.run() == {}  # nothing due by itself
    url = f"/integrations/salesforce/campaigns/{synced_campaign.pk}/retry/"
    page = bob_client.get(f"/campaigns/{synced_campaign.pk}/").content.decode()
    assert 'id="salesforce-recorded">1<' in page and 'id="salesforce-failed">1<' in page
    assert "入力規則違反" in page and f'action="{url}"' in page

    assert bob_client.get(url).status_code == 405
    response = bob_client.post(url)  # the owner

    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{synced_campaign.pk}/"
    sato = records(synced_campaign)[SATO]
    assert sato.status == "failed" and sato.attempts == 0 and sato.next_attempt_at <= timezone.now()
    del fake_salesforce.record_errors[sato_lead]  # the org's rule was fixed
    assert sync.run() == {"recorded": 1}
    assert selectors.salesforce_summary(synced_campaign).failed == 0

    assert mary_client.post(url).status_code == 302  # a manager sees every campaign
    other_rep = factories.make_user(tenant_a, email="rep2@alpha.example")
    other_client = type(bob_client)()
    other_client.force_login(other_rep)
    assert other_client.post(url).status_code == 404  # not his campaign


def test_retry_view_checks_csrf(connected, synced_campaign, bob):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(f"/integrations/salesforce/campaigns/{synced_campaign.pk}/retry/").status_code == 403


def test_another_tenants_campaign_is_never_synced_through_this_connection_nor_retried(
    connected, synced_campaign, fake_salesforce, tenant_b, charlie, charlie_client
):
    make_ready_to_send(tenant_b)
    factories.make_lead(tenant_b, email=YAMADA, industry="IT")
    beta_list = factories.make_lead_list(tenant_b, filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]})
    tenant_b.send_rate_per_second = 1000
    tenant_b.save()
    beta_campaign = send_in_process(make_campaign(tenant_b, charlie, lead_list=beta_list, salesforce_sync=True))
    fake_salesforce.add_contact(YAMADA)

    sync.run()

    assert SalesforceSyncRecord.objects.filter(campaign=beta_campaign).count() == 0  # B has no connection
    assert SalesforceSyncRecord.objects.filter(tenant=tenant_b).count() == 0
    assert len(fake_salesforce.tasks) == 1  # A's own mail only
    summary = selectors.salesforce_summary(beta_campaign)
    assert (summary.connected, summary.waiting) == (False, 1)

    SalesforceSyncRecord.objects.filter(campaign=synced_campaign).update(status="failed")
    response = charlie_client.post(f"/integrations/salesforce/campaigns/{synced_campaign.pk}/retry/")
    assert response.status_code == 404
    assert not SalesforceSyncRecord.objects.filter(campaign=synced_campaign, attempts=0).exists()


def test_a_campaign_without_c11_is_not_synced(sending, connected, tenant_a, bob, ready_list, fake_salesforce):
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=ready_list))
    fake_salesforce.add_contact(YAMADA)

    assert sync.run() == {}

    assert SalesforceSyncRecord.objects.count() == 0
    assert selectors.salesforce_summary(campaign) is None


def test_a_claimed_batch_is_not_taken_by_a_concurrent_run_until_its_claim_is_stale(
    connected, synced_campaign, fake_salesforce
):
    fake_salesforce.add_contact(YAMADA)
    claimed = sync.claim_batch(synced_campaign.tenant)  # a run that then dies
    assert len(claimed) == 2

    assert sync.claim_batch(synced_campaign.tenant) == []
    assert sync.run() == {}

    SalesforceSyncRecord.objects.update(claimed_at=timezone.now() - sync.STALE_CLAIM - timedelta(seconds=1))
    assert sync.run() == {"recorded": 1, "unmatched": 1}


def test_unreadable_credentials_fail_the_batch_with_a_clear_reason(connected, synced_campaign, settings):
    settings.SALESFORCE_ENCRYPTION_KEY = [
        "kbUmu7tRGyr2hlB1BV3kCUxRalw13c6vw3iDWZTYIY0="
    ]  # not the key they were saved under

    assert sync.run() == {"failed": 2}

    record = next(iter(records(synced_campaign).values()))
    assert record.error_code == "UNREADABLE_CREDENTIALS"
    assert selectors.connection_status(synced_campaign.tenant).credentials_unreadable


def test_campaign_page_piece_shows_the_counts_reasons_and_the_retry_button(
    connected, synced_campaign, fake_salesforce, bob
):
    sato_lead = fake_salesforce.add_lead(SATO)
    fake_salesforce.record_errors[sato_lead] = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "入力規則違反")
    sync.run()
    request = RequestFactory().get(f"/campaigns/{synced_campaign.pk}/")
    request.user = bob

    html = render_to_string(
        "integrations/campaign_salesforce.html",
        {"salesforce": selectors.salesforce_summary(synced_campaign)},
        request=request,
    )

    assert 'id="salesforce-recorded">0<' in html
    assert 'id="salesforce-unmatched">1<' in html
    assert 'id="salesforce-failed">1<' in html
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION: 入力規則違反" in html
    assert f'action="/integrations/salesforce/campaigns/{synced_campaign.pk}/retry/"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'id="salesforce-retry-scheduled"' not in html  # the org's rule: not retried by itself

    SalesforceSyncRecord.objects.filter(status="failed").update(next_attempt_at=timezone.now() + timedelta(hours=1))
    html = render_to_string(
        "integrations/campaign_salesforce.html",
        {"salesforce": selectors.salesforce_summary(synced_campaign)},
        request=request,
    )
    assert '<p class="muted" id="salesforce-retry-scheduled">' in html
    assert render_to_string("integrations/campaign_salesforce.html", {"salesforce": None}).strip() == ""


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_records_sent_mail_in_a_real_worker(
    start_celery_worker, salesforce_tls, fake_salesforce, tenant_a, alice, bob, ready_list, sending
):
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=ready_list, salesforce_sync=True))
    connect(tenant_a, alice, fake_salesforce)
    fake_salesforce.add_contact(YAMADA)
    worker = start_celery_worker(
        env={
            "REQUESTS_CA_BUNDLE": str(salesforce_tls.ca),
            "SALESFORCE_HOST_SUFFIXES": "127.0.0.1",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )

    sync_salesforce.delay()

    worker.wait_until(lambda: SalesforceSyncRecord.objects.filter(campaign=campaign, status="recorded").count() == 1)
    assert len(fake_salesforce.tasks) == 1
    assert records(campaign)[SATO].status == "unmatched"


def test_the_beat_schedule_runs_the_sync_every_30_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sync-salesforce"]
    assert (entry["task"], entry["schedule"]) == ("integrations.sync_salesforce", 30.0)
    assert sync_salesforce.name == "integrations.sync_salesforce"


def test_secrets_are_not_in_the_database_in_clear(connected):
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_salesforceconnection")
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    for secret in (CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in stored
    assert CLIENT_ID in stored  # the consumer key is an identifier, kept in clear
