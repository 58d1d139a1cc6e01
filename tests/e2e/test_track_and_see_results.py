"""K1–K3, D2, L4, L5 in Chromium: a campaign goes to the catcher; its mail is opened in the outbox, its
link and its unsubscribe link are clicked and confirmed; the dashboard, the lead's history and the
filter screen then show it all."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.campaign_world import TWO_LINK_BODY, make_campaign, send_in_process
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


@pytest.fixture
def person(browser, live_server):
    """A desktop browser: Chromium's headless user agent would count as a scanner (K5). Set on the command
    line, not per context, because Chromium keeps its own agent for the images of a sandboxed srcdoc frame."""
    desktop = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--user-agent={DESKTOP_CHROME}"], headless=True
    )
    context = desktop.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()
    desktop.close()


def test_open_click_unsubscribe_then_read_the_results(person, live_server, mail_catcher, settings, tenant_a, bob,
                                                      ready_list):  # fmt: skip
    page = person
    settings.DEBUG = True  # the outbox page is a development tool
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    tenant_a.send_rate_per_second = 1000
    tenant_a.save()
    body = TWO_LINK_BODY.replace("https://alpha.example/product", f"{live_server.url}/healthz")
    campaign = send_in_process(make_campaign(tenant_a, bob, lead_list=ready_list, body_html=body, name="結果確認"))
    mail_catcher.wait_for(2)

    log_in(page, bob.email)
    page.goto(f"{page.base_url}/outbox/")
    page.get_by_role("link", name=re.compile("青空システム")).first.click()
    mail = page.frame_locator("iframe.outbox-preview")
    expect(mail.get_by_role("link", name="新製品のご紹介")).to_be_visible()  # the pixel loaded with the mail

    with page.expect_popup() as opened:
        mail.get_by_role("link", name="新製品のご紹介").click()
    product = opened.value
    product.wait_for_load_state()
    assert product.url == f"{live_server.url}/healthz"
    product.close()

    with page.expect_popup() as opened:
        mail.get_by_role("link", name="配信停止はこちら").click()
    unsubscribe = opened.value
    expect(unsubscribe.get_by_role("heading", level=1)).to_have_text("メールの配信停止")
    unsubscribe.get_by_role("button", name="配信を停止する").click()
    expect(unsubscribe.get_by_role("heading", level=1)).to_have_text("配信を停止しました")
    unsubscribe.close()

    page.goto(f"{page.base_url}/campaigns/{campaign.pk}/")
    expect(page.locator("#figure-sent")).to_have_text("2")
    expect(page.locator("#figure-delivered")).to_have_text("2")
    expect(page.locator("#figure-opened")).to_have_text("1")
    expect(page.locator("#figure-clicked")).to_have_text("1")
    expect(page.locator("#figure-unsubscribed")).to_have_text("1")
    expect(page.locator("#link-clicks")).to_contain_text(f"{live_server.url}/healthz")

    yamada = Lead.objects.get(tenant=tenant_a, email="yamada@aozora.example")
    page.goto(f"{page.base_url}/leads/{yamada.pk}/")
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li.timeline-mail-opened")).to_have_count(1)
    expect(timeline.locator("li.timeline-mail-clicked")).to_contain_text(f"{live_server.url}/healthz")
    expect(timeline.locator("li.timeline-mail-unsubscribed")).to_contain_text("結果確認")
    expect(timeline.locator("li.timeline-mail-delivered")).to_have_count(1)

    page.goto(f"{page.base_url}/leads/lists/new/")
    row = page.locator(".filter-row").first
    row.locator("select[id$='-field']").select_option("unsubscribed")
    expect(row).not_to_have_class(re.compile(r"htmx-added"))
    row.locator("select[id$='-value']").select_option(label="配信停止あり")
    preview = page.locator("#list-preview")
    expect(preview.locator(".preview-count")).to_contain_text("1")
    expect(preview).to_contain_text("青空システム")
    expect(preview).not_to_contain_text("富士工業")
