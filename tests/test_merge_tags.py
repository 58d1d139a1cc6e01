"""Merge tags (C5, C6): the parser names every bad tag; the renderer fills them per recipient."""

import pytest
from django.utils import translation

from campaigns.merge_tags import MergeTag, UnsubscribeTag, merge_tag_problems, split_merge_tags
from campaigns.rendering import LegalFooter, Recipient, body_has_unsubscribe_tag, compile_campaign, content_problems

FOOTER = LegalFooter("株式会社アルファ", "東京都千代田区丸の内1-1-1", "support@alpha.example")


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = "http://testserver.example"


BODY = "<p>{{CompanyName}}</p><p>{{FullName|ご担当者}} 様</p><p>{{Unsubscribe:メールの配信停止はこちら}}</p>"


def test_split_finds_tags_fallbacks_and_the_unsubscribe_text():
    assert split_merge_tags("{{CompanyName}} {{ LastName | ご担当者 }}様 {{Unsubscribe:停止はこちら}}") == [
        MergeTag("CompanyName"),
        " ",
        MergeTag("LastName", "ご担当者"),
        "様 ",
        UnsubscribeTag("停止はこちら"),
    ]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{{Company}}", "{{Company}}"),
        ("{{companyname}}", "{{companyname}}"),
        ("{{Email}}", "{{Email}}"),
        ("{{CompanyName", "{{CompanyName"),
        ("CompanyName}}", "}}"),
        ("{{Unsubscribe}}", "{{Unsubscribe}}"),
        ("{{Unsubscribe:}}", "{{Unsubscribe:}}"),
        ("{{Unsubscribe メールの配信停止}}", "{{Unsubscribe メールの配信停止}}"),
        ("{{unsubscribe:停止}}", "{{unsubscribe:停止}}"),
    ],
)
def test_unknown_and_malformed_tags_are_errors_that_name_them(text, named):
    problems = merge_tag_problems(text)
    assert problems
    assert any(named in problem for problem in problems), problems


def test_every_bad_tag_is_reported_not_only_the_first():
    problems = merge_tag_problems("{{Foo}} and {{Bar|x}}")
    assert len(problems) == 2
    assert "{{Foo}}" in problems[0] and "{{Bar|x}}" in problems[1]


def test_the_subject_cannot_carry_the_unsubscribe_tag():
    with translation.override("ja"):
        problems = content_problems(subject="{{Unsubscribe:停止}}", body_html=BODY)
    assert problems == {"subject": ["配信停止タグは本文でのみ使えます。"]}


def test_html_escapes_values_and_text_keeps_them_raw():
    compiled = compile_campaign(subject="{{CompanyName}}へのご案内", body_html=BODY, footer=FOOTER)
    mail = compiled.render(Recipient("<b>青空&商事</b>", "山田", "太郎"), token="tok")
    assert mail.subject == "<b>青空&商事</b>へのご案内"
    assert "&lt;b&gt;青空&amp;商事&lt;/b&gt;" in mail.html
    assert "<b>青空" not in mail.html
    assert mail.text.startswith("<b>青空&商事</b>\n山田 太郎 様\n")


def test_full_name_is_last_name_first_and_fallbacks_fill_empty_values():
    compiled = compile_campaign(
        subject="{{LastName|ご担当者}}様", body_html="<p>{{FullName}}|{{FirstName|名無し}}</p>", footer=FOOTER
    )
    assert compiled.render(Recipient("", "佐藤", "花子"), None).text.startswith("佐藤 花子|花子")
    empty = compiled.render(Recipient("", "", ""), None)
    assert empty.subject == "ご担当者様"
    assert empty.text.startswith("|名無し")


def test_a_value_with_line_breaks_cannot_break_the_subject_line():
    compiled = compile_campaign(subject="{{CompanyName}}様", body_html=BODY, footer=FOOTER)
    assert compiled.render(Recipient("悪意\r\nBcc: x@evil.example", "", ""), None).subject == (
        "悪意 Bcc: x@evil.example様"
    )


def test_links_are_numbered_and_tracked_mailto_is_not():
    body = (
        '<p><a href="https://a.example/1">一</a> <a href="https://b.example/2?x=1&amp;y=2">二</a> '
        '<a href="mailto:info@alpha.example">メール</a></p>' + BODY
    )
    compiled = compile_campaign(subject="件名", body_html=body, footer=FOOTER)
    assert compiled.link_urls == ("https://a.example/1", "https://b.example/2?x=1&y=2")
    mail = compiled.render(Recipient(), token="abc")
    assert 'href="http://testserver.example/t/c/abc/1/"' in mail.html
    assert 'href="http://testserver.example/t/c/abc/2/"' in mail.html
    assert 'href="mailto:info@alpha.example"' in mail.html
    assert "二 (http://testserver.example/t/c/abc/2/)" in mail.text
    assert '<img src="http://testserver.example/t/o/abc.gif"' in mail.html
    assert mail.unsubscribe_url == "http://testserver.example/u/abc/"
    assert '<a href="http://testserver.example/u/abc/">メールの配信停止はこちら</a>' in mail.html


def test_a_test_render_keeps_original_links_and_has_no_pixel():
    body = '<p><a href="https://a.example/1?x=1&amp;y=2">一</a></p>' + BODY
    mail = compile_campaign(subject="件名", body_html=body, footer=FOOTER).render(Recipient(), token=None)
    assert 'href="https://a.example/1?x=1&amp;y=2"' in mail.html
    assert "/t/o/" not in mail.html
    assert mail.unsubscribe_url.endswith("/u/test/")


def test_the_legal_footer_is_in_both_parts_in_japanese():
    mail = compile_campaign(subject="件名", body_html=BODY, footer=FOOTER).render(Recipient(), None)
    for part in (mail.html, mail.text):
        assert "株式会社アルファ" in part and "東京都千代田区丸の内1-1-1" in part and "support@alpha.example" in part
    assert "送信者" in mail.text and "お問い合わせ先" in mail.text


def test_merge_tags_inside_a_link_address_are_refused():
    problems = content_problems(subject="s", body_html='<p><a href="https://x.example/?c={{CompanyName}}">x</a></p>')
    assert "{{CompanyName}}" in problems["body_html"][0]


def test_an_unsubscribe_tag_split_by_formatting_does_not_count():
    assert body_has_unsubscribe_tag(BODY)
    assert not body_has_unsubscribe_tag("<p>{{Unsubscribe:<strong>停止</strong>}}</p>")
    assert not body_has_unsubscribe_tag("<p>{{CompanyName}}</p>")
