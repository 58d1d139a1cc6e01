"""`manage.py generate_scale_data` at a tiny size: the data is shaped like a real tenant's and consistent with
what the real write paths leave (outcome counts, first-time timestamps, counters), and touches no other tenant."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from accounts.models import Tenant
from campaigns import selectors
from campaigns.models import Campaign, Message
from leads.addresses import normalize_email
from leads.filters import FilterError
from leads.models import Lead, Suppression
from leads.scale_data import CAMPAIGN_NAME, DEFAULT_TENANT_NAME, company_rows
from leads.selectors import leads_matching
from tests.bench.bench_dashboard import recount_from_messages
from tests.factories import make_lead
from tracking.models import Event

LEADS = 2000
MESSAGES = 2000


def generate(**sizes: int) -> str:
    out = io.StringIO()
    call_command("generate_scale_data", leads=LEADS, messages=MESSAGES, stdout=out, **sizes)
    return out.getvalue()


@pytest.fixture
def scale(tenant_b, charlie):
    make_lead(tenant_b, email="keep@other.example.jp", company_name="他社株式会社")
    generate()
    tenant = Tenant.objects.get(name=DEFAULT_TENANT_NAME)
    return tenant, Campaign.objects.get(tenant=tenant, name=CAMPAIGN_NAME)


def test_lead_count_and_japanese_distributions(scale):
    tenant, _campaign = scale
    leads = Lead.objects.filter(tenant=tenant)
    assert leads.count() == LEADS
    assert leads.values("prefecture").distinct().count() > 20
    assert {"IT", "製造"} <= set(leads.values_list("industry", flat=True))
    assert leads.filter(company_name__contains="株式会社").count() > LEADS // 2
    per_domain = leads.values("website").annotate(n=Count("id"))
    assert LEADS / per_domain.count() > 1  # many leads per company domain
    assert max(row["n"] for row in per_domain) > 5 * (LEADS / per_domain.count()) / 2  # a few large customers
    assert leads.filter(owner__isnull=False).count() > LEADS // 2
    assert leads.filter(tags__isnull=False).distinct().count() > LEADS // 5
    for email, normalized in leads.values_list("email", "email_normalized"):
        assert normalize_email(email) == normalized


def test_companies_are_weighted_by_population_and_industry():
    companies = company_rows(10_000)
    prefectures = Counter(row[4] for row in companies)
    assert [name for name, _n in prefectures.most_common(3)] == ["東京都", "神奈川県", "大阪府"]
    assert prefectures["東京都"] > 15 * prefectures["鳥取県"]
    assert Counter(row[3] for row in companies).most_common(1)[0][0] == "製造"
    assert len({row[2] for row in companies}) == len(companies)  # one domain per company
    assert len({row[1] for row in companies}) == len(companies)


def test_exclusions_are_there_and_counted(scale):
    _tenant, campaign = scale
    assert all(campaign.exclusions[reason] > 0 for reason in ("info", "invalid", "suppressed", "duplicate"))
    sent_to_leads = Message.objects.filter(campaign=campaign, lead__isnull=False)
    assert sent_to_leads.count() == LEADS - sum(campaign.exclusions.values())
    assert not sent_to_leads.filter(email_normalized__startswith="info@").exists()
    assert sent_to_leads.filter(lead__email_normalized=F("email_normalized")).count() == sent_to_leads.count()


def test_outcome_counts_equal_the_messages_per_status(scale):
    _tenant, campaign = scale
    assert Message.objects.filter(campaign=campaign).count() == MESSAGES
    by_status = dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")))
    assert campaign.outcome_counts == {status: by_status.get(status, 0) for status in campaign.outcome_counts}
    assert sum(campaign.outcome_counts.values()) == MESSAGES
    assert campaign.status == "sent" and campaign.recipients_total == MESSAGES


def test_events_are_three_per_message(scale):
    _tenant, campaign = scale
    assert Event.objects.filter(campaign_id=campaign.pk).count() == 3 * MESSAGES
    kinds = set(Event.objects.filter(campaign_id=campaign.pk).values_list("kind", flat=True))
    assert kinds == {"delivered", "bounced", "opened", "clicked", "unsubscribed", "complained"}


def test_dashboard_figures_equal_a_count_of_the_message_timestamps(scale):
    _tenant, campaign = scale
    stats = selectors.campaign_stats(campaign)
    messages = Message.objects.filter(campaign=campaign)
    recount = recount_from_messages(campaign)
    assert {name: getattr(stats, name) for name in recount} == recount
    assert 0 < stats.clicked < stats.opened < stats.delivered <= stats.sent
    assert sum(point.opened for point in stats.timeline) == stats.opened
    human_clicks = Event.objects.filter(campaign_id=campaign.pk, kind="clicked", machine=False, link_number__gte=1)
    assert sum(link.clicks for link in stats.links) == human_clicks.count()
    # what unsubscribed through the campaign is on the suppression list
    unsubscribed = messages.filter(unsubscribed_at__isnull=False).values_list("email_normalized", flat=True)
    assert Suppression.objects.filter(tenant=campaign.tenant, email_normalized__in=list(unsubscribed)).count() == len(
        unsubscribed
    )


def test_mail_activity_filter_finds_the_openers(scale):
    tenant, campaign = scale
    opened = leads_matching(tenant, {"all": [{"mail": {"campaign": campaign.pk, "event": "opened"}}]})
    openers = Message.objects.filter(campaign=campaign, opened_at__isnull=False, lead__isnull=False)
    assert opened.count() == openers.count() > 0


def test_other_tenant_untouched_and_second_run_keeps_the_data(scale, tenant_b):
    _tenant, campaign = scale
    assert list(Lead.objects.filter(tenant=tenant_b).values_list("email", flat=True)) == ["keep@other.example.jp"]
    assert not Message.objects.filter(tenant=tenant_b).exists()
    assert not Event.objects.filter(tenant_id=tenant_b.pk).exists()
    assert not Suppression.objects.filter(tenant=tenant_b).exists()
    with pytest.raises(FilterError):
        leads_matching(tenant_b, {"all": [{"mail": {"campaign": campaign.pk, "event": "opened"}}]})
    assert "kept" in generate()
    assert Tenant.objects.filter(name=DEFAULT_TENANT_NAME).count() == 1
