"""Send a campaign from the confirm screen in Chromium, with a real worker: the progress block follows
(htmx polling) until every mail is in the catcher and the campaign reads 送信済み."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.campaign_world import make_campaign
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.worker_env(SENDING_RATE_PER_DOMAIN="100000")]  # fmt: skip


def test_send_from_the_confirm_screen_and_watch_the_progress(page, celery_worker, mail_catcher, tenant_a, bob,
                                                             ready_list):  # fmt: skip
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list, name="進捗確認キャンペーン")
    log_in(page, bob.email)
    page.goto(f"{page.base_url}/campaigns/{campaign.pk}/confirm/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="送信", exact=True).click()
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/$"))
    progress = page.locator("#sending-progress")
    expect(progress.locator(".badge")).to_have_text("送信済み", timeout=30_000)
    expect(page.locator("#progress-sent")).to_have_text("2")
    expect(page.locator("#progress-remaining")).to_have_text("0")
    expect(page.locator(".page-header .badge")).to_have_text("送信済み")  # the page reloaded on the new state
    expect(page.get_by_role("button", name="送信を取り消す")).to_have_count(0)
    expect(page.locator("table.recipients tbody tr")).to_have_count(2)
    assert len(mail_catcher.wait_for(2)) == 2
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
