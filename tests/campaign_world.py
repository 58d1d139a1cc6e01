"""A tenant ready to send (legal info, sender domain, a list with leads) and campaign builders."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import SenderDomain
from campaigns import delivery
from campaigns.default_body import DEFAULT_BODY_HTML
from campaigns.models import Campaign
from campaigns.services import create_campaign
from tests import factories

SENDER_DOMAIN = "alpha.example"


def make_ready_to_send(tenant) -> None:
    tenant.legal_sender_name = "株式会社アルファ"
    tenant.legal_postal_address = "東京都千代田区丸の内1-1-1"
    tenant.legal_contact = "support@alpha.example"
    tenant.save()
    SenderDomain.objects.get_or_create(tenant=tenant, domain=SENDER_DOMAIN)


def make_campaign(tenant, owner, **fields) -> Campaign:
    fields.setdefault("name", "秋の新製品案内")
    fields.setdefault("subject", "{{CompanyName}}様へ新製品のご案内")
    fields.setdefault("body_html", DEFAULT_BODY_HTML)
    fields.setdefault("from_name", "アルファ営業部")
    fields.setdefault("from_email", f"sales@{SENDER_DOMAIN}")
    fields.setdefault("reply_to", f"reply@{SENDER_DOMAIN}")
    return create_campaign(tenant, owner, **fields)


def run_until_idle(campaign: Campaign, limit: int = 100) -> None:
    """Drive the batches in this process as the worker's task chain would, honouring the throttle's waits."""
    for _ in range(limit):
        outcome = delivery.deliver_batch(campaign.pk)
        if not outcome.more_work:
            return
        time.sleep(outcome.retry_in)
    raise AssertionError("the campaign never ran out of work")


@pytest.fixture
def ready_list(tenant_a):
    """Tenant A ready to send, with a list of three leads in IT."""
    make_ready_to_send(tenant_a)
    factories.make_lead(
        tenant_a,
        company_name="青空システム",
        last_name="山田",
        first_name="太郎",
        industry="IT",
        email="yamada@aozora.example",
    )
    factories.make_lead(
        tenant_a, company_name="富士工業", last_name="佐藤", first_name="花子", industry="IT", email="sato@fuji.example"
    )
    factories.make_lead(tenant_a, company_name="さくら銀行", industry="金融", email="suzuki@sakura.example")
    return factories.make_lead_list(
        tenant_a, name="IT企業", filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]}
    )


@pytest.fixture
def draft(tenant_a, bob, ready_list):
    return make_campaign(tenant_a, bob, lead_list=ready_list)


TWO_LINK_BODY = (
    "<p>{{CompanyName}} {{FullName}}様</p>"
    '<p><a href="https://alpha.example/product">新製品のご紹介</a></p>'
    '<p><a href="https://alpha.example/seminar?id=7&amp;ref=mail">セミナーのお申し込み</a></p>'
    "<p>{{Unsubscribe:配信停止はこちら}}</p>"
)


def send_in_process(campaign: Campaign, *, sent_ago: timedelta = timedelta(hours=1)) -> Campaign:
    """Start and deliver a campaign in this process; sent_at moved back so tracking sees mail read later."""
    from campaigns.models import Message
    from campaigns.services import request_send, start_sending

    request_send(campaign)
    started = start_sending(campaign.pk)
    assert started.status == "sending", started.status_note
    run_until_idle(started)
    sent_at = timezone.now() - sent_ago
    Message.objects.filter(campaign=started).update(sent_at=sent_at)
    Message.objects.filter(campaign=started, delivered_at__isnull=False).update(delivered_at=sent_at)
    started.refresh_from_db()
    return started


@pytest.fixture
def sent_campaign(tenant_a, bob, ready_list, settings):
    """Bob's campaign with two links, sent to the two IT leads of ready_list (Django's locmem backend)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://mail.okuru.example"
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list, body_html=TWO_LINK_BODY, notify_open=True)
    return send_in_process(campaign)


def token_of(campaign: Campaign, email: str) -> str:
    from campaigns.models import Message

    return Message.objects.get(campaign=campaign, email_normalized=email).token
