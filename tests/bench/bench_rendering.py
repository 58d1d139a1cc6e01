"""Rendering 10,000 personalised mails from one compiled campaign (HTML + text + headers).

Goal: at least 10,000 mails/s on one core, so the renderer never limits sending. The mail has
5 tracked links and 3 merge tags; headers are built as the sender builds them (EmailMessage
with the S3 headers, serialised to bytes).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from campaigns.mail_message import Envelope, build_email
from campaigns.rendering import LegalFooter, Recipient, compile_campaign

MAILS = 10_000
LINKS = "".join(f'<p><a href="https://www.example.co.jp/page/{n}?utm_source=okuru">詳細 {n}</a></p>' for n in range(5))
BODY = (
    "<p>{{CompanyName}}</p><p>{{FullName|ご担当者}} 様</p><p></p>"
    "<p>いつもお世話になっております。<strong>新製品</strong>のご案内です。</p>"
    + LINKS
    + "<p>{{LastName|ご担当者}}様のご検討をお待ちしております。</p><p>{{Unsubscribe:メールの配信停止はこちら}}</p>"
)
FOOTER = LegalFooter("株式会社ベンチ", "東京都千代田区丸の内1-1-1", "https://bench.example.co.jp/contact")
ENVELOPE = Envelope("株式会社ベンチ <news@bench.example.co.jp>", ("sales@bench.example.co.jp",), "bench.example.co.jp")


def _recipients() -> list[tuple[Recipient, str, str]]:
    return [
        (Recipient(f"株式会社テスト{n}", "山田", f"太郎{n}"), f"tok{n:024d}", f"lead{n}@example.co.jp")
        for n in range(MAILS)
    ]


def run() -> Iterator[dict]:
    compiled = compile_campaign(subject="{{CompanyName}} {{LastName}}様へ新製品のご案内", body_html=BODY, footer=FOOTER)
    recipients = _recipients()

    started = time.perf_counter()
    for recipient, token, _address in recipients:
        compiled.render(recipient, token)
    render_seconds = time.perf_counter() - started
    yield {
        "figure": "render_10k_mails_html_text",
        "mails": MAILS,
        "mails_per_s": round(MAILS / render_seconds),
        "goal_mails_per_s": 10_000,
    }

    started = time.perf_counter()
    for recipient, token, address in recipients:
        build_email(ENVELOPE, compiled.render(recipient, token), address)
    seconds = time.perf_counter() - started
    yield {
        "figure": "render_10k_mails_html_text_headers",
        "mails": MAILS,
        "mails_per_s": round(MAILS / seconds),
        "goal_mails_per_s": 10_000,
        "note": "the message object an email backend (anymail or SMTP) receives",
    }

    started = time.perf_counter()
    for recipient, token, address in recipients:
        build_email(ENVELOPE, compiled.render(recipient, token), address).message().as_bytes()
    full_seconds = time.perf_counter() - started
    yield {
        "figure": "render_10k_mails_with_headers_as_mime_bytes",
        "mails": MAILS,
        "mails_per_s": round(MAILS / full_seconds),
        "note": "includes Django's MIME serialisation (base64/quoted-printable of both parts)",
    }
