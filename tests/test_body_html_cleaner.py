"""The body allow-list (C4): what the editor emits survives, every script vector is removed."""

import pytest

from campaigns.body_html import clean_body_html

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div style="width: expression(alert(1))">ie</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p onclick="alert(1)" onmouseover="alert(2)">text</p>',
    '<body onload="alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<!--<script>alert(1)</script>-->",
    '<a href="https://ok.example" onclick="alert(1)" target="_blank" style="color:red">ok</a>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<template><script>alert(1)</script></template>",
    '<img src="x" srcset="javascript:alert(1)">',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_payload_keeps_a_way_to_run_script(payload):
    cleaned = clean_body_html(f"<p>前{payload}後</p>").lower()
    for marker in (
        "<script",
        "onerror",
        "onload",
        "onclick",
        "onfocus",
        "ontoggle",
        "onmouseover",
        "javascript:",
        "vbscript:",
        "data:text",
        "<iframe",
        "<svg",
        "<object",
        "<embed",
        "<style",
        "style=",
        "<img",
        "<form",
        "<meta",
        "<link",
        "<base",
        "<input",
        "expression(",
    ):
        assert marker not in cleaned, f"{payload!r} left {marker!r} in {cleaned!r}"


def test_what_the_editor_emits_survives_unchanged():
    body = (
        "<p><strong>太字</strong>と<u>下線</u>と<s>取り消し</s></p><p></p>"
        '<p><a href="https://example.com/a?x=1&amp;y=2">リンク</a><br>{{CompanyName}} 様</p>'
        '<p><a href="mailto:sales@example.co.jp">メール</a></p>'
    )
    assert clean_body_html(body) == body


def test_link_attributes_other_than_href_are_dropped():
    cleaned = clean_body_html('<p><a href="https://example.com" target="_blank" rel="noopener">x</a></p>')
    assert cleaned == '<p><a href="https://example.com">x</a></p>'


def test_code_inside_removed_elements_is_not_left_as_text():
    assert clean_body_html("<p>本文</p><script>alert('x')</script><style>p{}</style>") == "<p>本文</p>"


def test_merge_tags_and_text_with_angle_brackets_stay_text():
    assert clean_body_html("<p>{{LastName|ご担当者}} 様 1 < 2</p>") == "<p>{{LastName|ご担当者}} 様 1 &lt; 2</p>"
