"""A rep composes a campaign in Chromium, in Japanese: toolbar formatting, a link, a merge tag, save the
draft, reopen it, apply a template, then a test send that arrives in the real SMTP catcher."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEMPLATE_BODY = (
    "<p>{{CompanyName}}</p><p>{{LastName|ご担当者}}様</p><p>テンプレートの本文です。</p>"
    "<p>{{Unsubscribe:メールの配信停止はこちら}}</p>"
)


def toolbar(page, name):
    return page.get_by_role("toolbar").get_by_role("button", name=name, exact=True)


def test_compose_save_reopen_apply_template_and_test_send(page, tenant_a, bob, ready_list, mail_catcher):
    factories.make_template(
        tenant_a, name="秋のご案内", subject="{{CompanyName}}様 秋のご案内", body_html=TEMPLATE_BODY
    )
    log_in(page, bob.email)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="メール配信作成").click()
    page.wait_for_url(re.compile(r"/campaigns/new/$"))

    page.get_by_label("メールキャンペーン名").fill("初回キャンペーン")
    page.get_by_label("件名").fill("{{CompanyName}}様へのご案内")
    body = page.get_by_role("textbox", name="本文")
    expect(body).to_contain_text("{{Unsubscribe:メールの配信停止はこちら}}")  # the default body (C5/C6)

    # the caret at the very start of the first paragraph: a click at its left edge, then Home (a plain click
    # and Control+Home raced the editor's own selection handling under load: the text landed further down)
    body.locator("p").first.click(position={"x": 1, "y": 4})
    page.keyboard.press("Home")
    page.keyboard.press("Enter")  # a new first paragraph above {{CompanyName}}
    page.keyboard.press("ArrowUp")
    toolbar(page, "太字").click()
    page.keyboard.type("重要")
    toolbar(page, "太字").click()
    page.keyboard.type(" ")
    toolbar(page, "下線").click()
    page.keyboard.type("ご確認ください")
    toolbar(page, "下線").click()
    page.keyboard.type(" 詳細")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    toolbar(page, "リンク").click()
    address = page.get_by_role("textbox", name="リンク先")
    address.fill("https://example.com/detail")
    address.press("Enter")
    expect(body.locator('a[href="https://example.com/detail"]')).to_have_text("詳細")
    page.keyboard.press("End")
    page.keyboard.type(" ")
    toolbar(page, "差し込みタグ").click()
    page.get_by_role("menuitem", name="氏名（姓 名）").click()

    page.get_by_label("送信先リスト").select_option(label="IT企業")
    expect(page.locator("#recipient-total")).to_have_text("2")

    page.get_by_role("button", name="下書き保存").first.click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/edit/$"))
    expect(page.locator(".messages")).to_contain_text("下書きを保存しました。")
    campaign = Campaign.objects.get()
    assert campaign.body_html.startswith(
        '<p><strong>重要</strong> <u>ご確認ください</u> <a href="https://example.com/detail">詳細</a> {{FullName}}</p>'
        "<p>{{CompanyName}}</p>"
    )

    page.reload()  # reopened: the editor shows what was saved
    body = page.get_by_role("textbox", name="本文")
    expect(body.locator("strong")).to_have_text("重要")
    expect(body.locator("u")).to_have_text("ご確認ください")
    expect(page.get_by_label("送信先リスト")).to_have_value(str(ready_list.pk))

    page.get_by_label("テンプレートを反映する").select_option(label="秋のご案内")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="反映する").click()
    expect(page.get_by_label("件名")).to_have_value("{{CompanyName}}様 秋のご案内")
    expect(page.get_by_role("textbox", name="本文")).to_contain_text("テンプレートの本文です。")

    page.get_by_role("button", name="テスト送信").first.click()
    dialog = page.locator("#test-send-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("テスト送信先メールアドレス").fill("me@alpha.example")
    dialog.get_by_label("会社名").fill("テスト商事")
    dialog.get_by_label("担当者名").fill("山田 太郎")
    dialog.get_by_role("button", name="テスト送信する").click()
    expect(page.locator(".messages")).to_contain_text("me@alpha.example にテストメールを送信しました。")

    [mail] = mail_catcher.wait_for(1)
    assert mail.subject == "【テスト送信】テスト商事様 秋のご案内"
    assert "テスト商事\n山田様\nテンプレートの本文です。" in mail.text
    assert "山田様" in mail.html and "{{" not in mail.html
    campaign.refresh_from_db()
    assert campaign.subject == "{{CompanyName}}様 秋のご案内"  # the test send saved the draft first
