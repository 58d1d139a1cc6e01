"""The rich-text body editor (C4-C6) in a real browser: toolbar, shortcuts, links, merge tags, the posted HTML.

The page comes from tests/editor_urls.py: two editors in one form, a third loaded by htmx; the view
echoes what each textarea posted. Needs the built bundle (`make assets`).
"""

import pytest
from playwright.sync_api import expect

from campaigns.widgets import RichTextEditor
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.editor_urls")]


def open_editor_page(page, user):
    log_in(page, user.email)
    # English UI: the texts checked here do not change when the Japanese catalogue grows
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    page.goto(f"{page.base_url}/editor-test/")


def toolbar_button(page, field_id, name):
    return page.locator(f"#{field_id}").locator("xpath=..").get_by_role("button", name=name, exact=True)


def test_format_link_and_merge_tags_then_post_the_html(page, tenant_a, bob):
    open_editor_page(page, bob)
    body = page.get_by_role("textbox", name="Body")
    expect(body).to_be_visible()
    expect(page.locator("#id_body")).to_be_hidden()  # the textarea stays, hidden, and is what posts
    bold = toolbar_button(page, "id_body", "Bold")
    underline = toolbar_button(page, "id_body", "Underline")
    strike = toolbar_button(page, "id_body", "Strikethrough")
    link = toolbar_button(page, "id_body", "Link")

    body.click()
    page.keyboard.type("Dear ")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "true")
    page.keyboard.type("customer")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "false")
    page.keyboard.type(", please ")
    underline.click()
    page.keyboard.type("read")
    underline.click()
    page.keyboard.type(" the ")
    strike.click()
    expect(strike).to_have_attribute("aria-pressed", "true")
    page.keyboard.type("old")
    strike.click()
    page.keyboard.type(" offer on our site")

    # link the selected words: a javascript: address is refused with the error shown
    for _ in range(len("our site")):
        page.keyboard.press("Shift+ArrowLeft")
    link.click()
    address = page.get_by_role("textbox", name="Link address").first
    expect(address).to_be_focused()
    address.fill("javascript:alert(1)")
    page.get_by_role("button", name="Set link").first.click()
    error = page.locator("#id_body-link-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("This link is not allowed")
    expect(address).to_have_attribute("aria-invalid", "true")
    address.fill("https://example.com/offer?a=1&b=2")
    address.press("Enter")  # applies the link; never submits the outer form
    expect(error).to_be_hidden()
    expect(body.locator('a[href="https://example.com/offer?a=1&b=2"]')).to_have_text("our site")
    expect(link).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("End")
    expect(link).to_have_attribute("aria-pressed", "false")

    # merge tag from the menu, by mouse
    page.keyboard.type(". ")
    menu_button = toolbar_button(page, "id_body", "Merge tags")
    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    page.get_by_role("menuitem", name="Company name").click()
    expect(page.get_by_role("menu")).to_be_hidden()
    expect(body).to_contain_text("{{CompanyName}}")

    # and by keyboard: ArrowDown opens the menu on its first item, Enter inserts
    page.keyboard.type(" ")
    menu_button.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Company name")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(body).to_contain_text("{{FullName}}")
    expect(body).to_be_focused()

    # Ctrl+B, a hard break (Shift+Enter), a new paragraph and the unsubscribe tag
    page.keyboard.press("Enter")
    page.keyboard.press("Control+b")
    expect(bold).to_have_attribute("aria-pressed", "true")
    page.keyboard.type("by keyboard")
    page.keyboard.press("Control+b")
    page.keyboard.press("Shift+Enter")
    menu_button.click()
    page.get_by_role("menuitem", name="Unsubscribe link").click()

    # the textarea follows every change, before any submit
    assert "<strong>by keyboard</strong>" in page.locator("#id_body").input_value()

    # the second editor on the page started with its own content
    signature = page.get_by_role("textbox", name="Signature")
    expect(signature.locator("strong")).to_have_text("山田")

    page.get_by_role("button", name="Save").click()
    posted = page.locator("#posted-body")
    expect(posted).to_be_visible()
    html = posted.text_content()
    assert html == (
        "<p>Dear <strong>customer</strong>, please <u>read</u> the <s>old</s> offer on "
        '<a href="https://example.com/offer?a=1&amp;b=2">our site</a>. {{CompanyName}} {{FullName}}</p>'
        "<p><strong>by keyboard</strong><br>{{Unsubscribe:メールの配信停止はこちら}}</p>"
    )
    assert "javascript" not in html
    assert page.locator("#posted-signature").text_content() == "<p>営業部 <strong>山田</strong></p>"


def test_empty_link_address_removes_the_link(page, tenant_a, bob):
    open_editor_page(page, bob)
    signature = page.get_by_role("textbox", name="Signature")
    signature.click()
    page.keyboard.press("End")
    bold = toolbar_button(page, "id_signature", "Bold")
    expect(bold).to_have_attribute("aria-pressed", "true")  # the caret is after 山田 (bold)
    page.keyboard.press("Control+b")
    expect(bold).to_have_attribute("aria-pressed", "false")
    page.keyboard.type(" mail")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowLeft")
    toolbar_button(page, "id_signature", "Link").click()
    address = page.locator("#id_signature-link-url")
    address.fill("mailto:sales@example.co.jp")
    address.press("Enter")
    expect(signature.locator('a[href="mailto:sales@example.co.jp"]')).to_have_text("mail")
    assert page.locator("#id_signature").input_value() == (
        '<p>営業部 <strong>山田</strong> <a href="mailto:sales@example.co.jp">mail</a></p>'
    )

    toolbar_button(page, "id_signature", "Link").click()
    expect(address).to_have_value("mailto:sales@example.co.jp")  # the form shows the current address
    address.fill("")
    page.locator("#id_signature-link-form").get_by_role("button", name="Set link").click()
    expect(signature.locator("a")).to_have_count(0)
    assert page.locator("#id_signature").input_value() == "<p>営業部 <strong>山田</strong> mail</p>"


def test_other_scripts_set_the_content_and_htmx_content_gets_an_editor(page, tenant_a, bob):
    open_editor_page(page, bob)
    body = page.get_by_role("textbox", name="Body")
    expect(body).to_be_visible()

    # "apply template": set the textarea, then dispatch okuru:set-content on it
    page.evaluate(
        """() => {
            const textarea = document.getElementById("id_body");
            textarea.value = "<p>{{CompanyName}} 御中</p><p><u>新製品</u>のご案内</p>";
            textarea.dispatchEvent(new CustomEvent("okuru:set-content", { bubbles: true }));
        }"""
    )
    expect(body.locator("u")).to_have_text("新製品")
    # the helper API, and what the editor refuses to carry (a heading, a script link, attributes)
    assert page.evaluate("() => window.okuruEditor.forTextarea(document.getElementById('id_body')) !== null")
    page.evaluate(
        """() => window.okuruEditor.setContent(
            document.getElementById("id_signature"),
            '<h1>見出し</h1><p><a href="javascript:alert(1)">x</a> '
            + '<a href="https://example.com" target="_blank" rel="noopener" class="c">y</a></p>',
        )"""
    )
    expect(page.locator("#id_signature")).to_have_value('<p>見出し</p><p>x <a href="https://example.com">y</a></p>')

    # an editor arriving with htmx starts by itself
    page.get_by_role("button", name="Load more").click()
    expect(page.locator("#id_note")).to_be_attached()
    expect(page.locator("#id_note")).to_be_hidden()  # htmx settled and the editor took over the textarea
    note = page.get_by_role("textbox", name="Note")
    expect(note).to_be_visible()
    note.click()
    page.keyboard.type("from htmx")
    expect(toolbar_button(page, "id_note", "Bold")).to_have_attribute("aria-pressed", "false")

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#posted-body")).to_have_text("<p>{{CompanyName}} 御中</p><p><u>新製品</u>のご案内</p>")
    expect(page.locator("#posted-note")).to_have_text("<p>from htmx</p>")
    # after the POST the page renders the editors again with what was posted
    expect(page.get_by_role("textbox", name="Body").locator("u")).to_have_text("新製品")


def test_without_javascript_the_widget_is_a_textarea_with_the_bundle_in_its_media():
    html = RichTextEditor().render("body_html", "<p>本文</p>", attrs={"id": "id_body_html"})
    assert '<textarea name="body_html"' in html
    assert "&lt;p&gt;本文&lt;/p&gt;</textarea>" in html
    assert "data-editor-toolbar hidden" in html
    assert "build/editor.js" in str(RichTextEditor().media)
