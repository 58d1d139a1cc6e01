"""N1 in Chromium: while a rep has the app open, a recipient opens the caught mail and clicks its link;
the envelope's count goes to 2 without a reload, and its menu names who did what in which campaign."""

import re

import pytest
from playwright.sync_api import expect

from tests.campaign_world import TWO_LINK_BODY, make_campaign, send_in_process
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)


def tracked_urls(html: str, base: str) -> tuple[str, str]:
    pixel = re.search(rf'src="({re.escape(base)}/t/o/[0-9a-f]{{44}}\.gif)"', html).group(1)
    link = re.search(rf'href="({re.escape(base)}/t/c/[0-9a-f]{{44}}/1/)"', html).group(1)
    return pixel, link


def test_two_notifications_appear_without_reloading(page, browser, live_server, mail_catcher, settings, tenant_a, bob,
                                                    ready_list):  # fmt: skip
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    # the link leads to a page of the live server: nothing outside this machine is reachable
    body = TWO_LINK_BODY.replace("https://alpha.example/product", f"{live_server.url}/healthz")
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list, body_html=body, notify_open=True, notify_click=True)
    send_in_process(campaign)
    mail = next(m for m in mail_catcher.wait_for(2) if m.to == "yamada@aozora.example")
    pixel, link = tracked_urls(mail.html or "", live_server.url)

    log_in(page, bob.email)
    envelope = page.locator("#notification-menu")
    expect(envelope.locator("[data-unread]")).to_have_count(0)

    recipient = browser.new_context(user_agent=DESKTOP_CHROME)
    reader = recipient.new_page()
    reader.goto(pixel)
    reader.goto(link)
    assert reader.url == f"{live_server.url}/healthz"
    recipient.close()

    expect(envelope.locator("[data-unread]")).to_have_text(re.compile(r"2$"), timeout=20_000)  # polled, no reload
    envelope.locator("summary").click()
    entries = envelope.locator(".notification-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("山田")
    expect(entries.nth(0)).to_contain_text("青空システム")
    expect(envelope).to_contain_text(f"{live_server.url}/healthz")
    expect(envelope).to_contain_text(campaign.name)

    entries.nth(0).locator("button").click()
    page.wait_for_url(re.compile(r"/leads/\d+/$"))
    expect(page.locator("h1")).to_contain_text("山田")
    expect(page.locator("#notification-menu [data-unread]")).to_have_text(re.compile(r"1$"))
