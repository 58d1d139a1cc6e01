"""The local mail catcher's outbox: reading the Maildir, the DEBUG-only pages, the mail_catcher fixture.

Mail really goes over SMTP (Django's SMTP backend) into the catcher's handler (a Maildir), as with `make run`.
"""

import html
import re
import threading
from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail
from django.urls import reverse

from campaigns.outbox import list_outbox, preview_srcdoc, read_outbox_mail, read_outbox_raw

SUBJECT = "【ご案内】新製品セミナー 3月開催のお知らせ"
TEXT = "山田 太郎 様\n\n新製品セミナーのご案内です。\n詳細: https://example.jp/seminar?a=1&b=2\n"
SCRIPT = '<script>alert("outbox-xss")</script>'
HTML = (
    "<!doctype html><html><head><title>ご案内</title></head><body>"
    "<p>山田 太郎 様</p><p>新製品セミナーのご案内です。</p>"
    f'{SCRIPT}<p><a href="https://example.jp/seminar?a=1&amp;b=2">詳細はこちら</a></p>'
    "</body></html>"
)
SANDBOX = 'sandbox="allow-popups allow-popups-to-escape-sandbox"'
BAD_KEYS = ["x", "..", ".hidden", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "a b", "1.M2P3Q4.host:2,S"]


def send_campaign_mail(subject: str = SUBJECT, to: str = "yamada@customer.example.jp", attach: bool = False) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=TEXT, from_email="営業部 <sales@alpha.example>", to=[f"山田 太郎 <{to}>"]
    )
    message.attach_alternative(HTML, "text/html")
    if attach:
        message.attach("見積書.pdf", b"%PDF-1.4 test", "application/pdf")
    message.send()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def english(bob_client):
    bob_client.cookies["django_language"] = "en"
    return bob_client


# --- reading the Maildir -------------------------------------------------------------------------


def test_list_outbox_is_newest_first_with_decoded_japanese_subjects(mail_catcher):
    send_campaign_mail(subject="一通目: ご挨拶", to="first@customer.example.jp")
    send_campaign_mail(subject="二通目: セミナーのご案内", to="second@customer.example.jp")
    send_mail("三通目: テキストのみ", "本文", "sales@alpha.example", ["third@customer.example.jp"])

    mails = list_outbox()

    assert [mail.subject for mail in mails] == ["三通目: テキストのみ", "二通目: セミナーのご案内", "一通目: ご挨拶"]
    newest, second, _first = mails
    assert "second@customer.example.jp" in second.to and "山田 太郎" in second.to
    assert second.from_ == "営業部 <sales@alpha.example>"
    assert second.has_html and not newest.has_html
    assert isinstance(second.date, datetime) and second.date.tzinfo is not None
    assert second.size > len(TEXT.encode())
    assert [mail.subject for mail in list_outbox(limit=2)] == ["三通目: テキストのみ", "二通目: セミナーのご案内"]


def test_read_outbox_mail_has_every_header_in_order_and_the_parts(mail_catcher):
    send_campaign_mail(attach=True)
    [summary] = list_outbox()

    mail = read_outbox_mail(summary.key)

    assert mail is not None and mail.key == summary.key
    names = [name for name, _value in mail.headers]
    assert names.index("Subject") < names.index("From") < names.index("To") < names.index("X-RcptTo")
    assert ("Subject", SUBJECT) in mail.headers
    assert ("X-RcptTo", "yamada@customer.example.jp") in mail.headers
    assert mail.text == TEXT
    assert mail.html == HTML
    assert mail.attachments == ["見積書.pdf"]
    assert read_outbox_raw(summary.key).startswith(b"Content-Type: multipart/mixed")


def test_malformed_or_unknown_keys_read_nothing(mail_catcher):
    send_campaign_mail()
    for key in [*BAD_KEYS, "/etc/passwd", "new", "cur", "\\057etc", "1700000000.M1P1Q1.nowhere"]:
        assert read_outbox_mail(key) is None, key
        assert read_outbox_raw(key) is None, key


def test_a_missing_outbox_directory_is_an_empty_outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "never-created"
    assert list_outbox() == []
    assert read_outbox_mail("1700000000.M1P1Q1.host") is None
    assert not (tmp_path / "never-created").exists()


def test_preview_srcdoc_puts_a_blank_target_base_inside_the_head():
    assert preview_srcdoc(HTML).startswith('<!doctype html><html><head><base target="_blank"><title>')
    assert preview_srcdoc("<html lang=ja><body>x</body></html>") == (
        '<html lang=ja><base target="_blank"><body>x</body></html>'
    )
    assert preview_srcdoc("<p>断片</p>") == '<base target="_blank"><p>断片</p>'
    assert preview_srcdoc("<header>x</header>") == '<base target="_blank"><header>x</header>'


# --- the fixture ---------------------------------------------------------------------------------


def test_mail_catcher_points_django_at_a_free_port_and_waits_for_late_mail(mail_catcher, settings):
    assert settings.EMAIL_BACKEND == "campaigns.smtp_backend.EmailBackend"
    assert settings.EMAIL_HOST == "127.0.0.1"
    assert settings.EMAIL_PORT == mail_catcher.port != 0
    assert mail_catcher.directory == settings.OUTBOX_DIR
    assert mail_catcher.email_url == f"smtp://127.0.0.1:{mail_catcher.port}"
    assert mail_catcher.messages() == []

    send_campaign_mail(subject="先に送信")
    later = threading.Timer(0.3, send_campaign_mail, kwargs={"subject": "後から送信"})
    later.start()
    try:
        mails = mail_catcher.wait_for(2, timeout=10)
    finally:
        later.join()

    assert [mail.subject for mail in mails] == ["先に送信", "後から送信"]  # oldest first
    assert mails[0].text == TEXT and mails[0].html == HTML
    mail_catcher.clear()
    assert mail_catcher.count() == 0


def test_wait_for_fails_the_test_when_the_mail_never_comes(mail_catcher):
    with pytest.raises(pytest.fail.Exception, match=r"waited 0\.2s for 1 mail"):
        mail_catcher.wait_for(1, timeout=0.2)


# --- the pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_index_lists_subject_to_from_and_tokyo_date_newest_first(mail_catcher, debug, english):
    send_campaign_mail(subject="古いメール")
    send_campaign_mail(subject="新しいメール")
    newest = list_outbox()[0]

    response = english.get(reverse("outbox:index"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Outbox" in page
    assert page.index("新しいメール") < page.index("古いメール")
    assert "yamada@customer.example.jp" in page and "sales@alpha.example" in page
    assert newest.date.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y/%m/%d %H:%M") in page
    assert reverse("outbox:detail", args=[newest.key]) in page


@pytest.mark.django_db
def test_index_without_mail_says_where_local_mail_appears(mail_catcher, debug, english):
    response = english.get(reverse("outbox:index"))
    assert response.status_code == 200
    assert "No mail has been caught yet." in response.content.decode()
    assert "appears here" in response.content.decode()


@pytest.mark.django_db
def test_index_is_japanese_by_default(mail_catcher, debug, bob_client):
    response = bob_client.get(reverse("outbox:index"))
    assert response.status_code == 200
    assert '<html lang="ja">' in response.content.decode()


@pytest.mark.django_db
def test_detail_shows_headers_text_and_the_html_escaped_in_a_sandboxed_iframe(mail_catcher, debug, english):
    send_campaign_mail()
    [mail] = list_outbox()

    response = english.get(reverse("outbox:detail", args=[mail.key]))

    assert response.status_code == 200
    page = response.content.decode()
    assert SUBJECT in page
    assert "<details" in page and "X-RcptTo" in page
    assert "<pre" in page and html.escape(TEXT) in page
    assert SCRIPT not in page
    assert "allow-scripts" not in page and "allow-same-origin" not in page
    [iframe] = re.findall(r"<iframe[^>]*>", page)
    assert SANDBOX in iframe
    srcdoc = re.search(r'srcdoc="([^"]*)"', iframe).group(1)
    assert "<" not in srcdoc and "&lt;script&gt;" in srcdoc
    assert html.unescape(srcdoc) == preview_srcdoc(HTML)
    assert '<base target="_blank">' in html.unescape(srcdoc)
    assert reverse("outbox:raw", args=[mail.key]) in page


@pytest.mark.django_db
def test_detail_of_a_text_only_mail_says_there_is_no_html_part(mail_catcher, debug, english):
    send_mail("テキストのみ", "本文です。", "sales@alpha.example", ["yamada@customer.example.jp"])
    [mail] = list_outbox()
    page = english.get(reverse("outbox:detail", args=[mail.key])).content.decode()
    assert "<iframe" not in page
    assert "This mail has no HTML part." in page
    assert "本文です。" in page


@pytest.mark.django_db
def test_raw_download_is_the_stored_eml(mail_catcher, debug, bob_client):
    send_campaign_mail()
    [mail] = list_outbox()

    response = bob_client.get(reverse("outbox:raw", args=[mail.key]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.eml"')
    assert response.content == read_outbox_raw(mail.key)
    assert message_from_bytes(response.content, policy=policy.default)["Subject"].strip() == SUBJECT


@pytest.mark.django_db
def test_every_outbox_route_is_a_404_without_debug(mail_catcher, settings, bob_client, client):
    settings.DEBUG = False
    send_campaign_mail()
    [mail] = list_outbox()
    for url in (
        reverse("outbox:index"),
        reverse("outbox:detail", args=[mail.key]),
        reverse("outbox:raw", args=[mail.key]),
    ):
        assert bob_client.get(url).status_code == 404, url
        assert client.get(url).status_code == 404, url  # before the login redirect, too


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(mail_catcher, debug, client):
    send_campaign_mail()
    [mail] = list_outbox()
    for url in (
        reverse("outbox:index"),
        reverse("outbox:detail", args=[mail.key]),
        reverse("outbox:raw", args=[mail.key]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


@pytest.mark.django_db
def test_bad_keys_are_404(mail_catcher, debug, bob_client):
    send_campaign_mail()
    for key in BAD_KEYS:
        for url in (f"/outbox/{key}/", f"/outbox/{key}/raw/"):
            assert bob_client.get(url).status_code == 404, url
