"""The SMTP backend's hand-over in steps (begin, transmit, conclude), against the catcher: the same mail as
Django's `send_messages` puts on the wire, dots kept, and a begun mail that is aborted never arrives."""

import smtplib

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from campaigns.smtp_backend import EmailBackend

# lines a server would read as the end of the data, or shorten, unless the client doubles their first dot
DOTTED_TEXT = "本文です。\n.\n.hidden line\n..two dots\nlast line"


def dotted_mail(to: str) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(
        subject="点のある本文", body=DOTTED_TEXT, from_email="営業部 <sales@example.jp>", to=[to]
    )
    mail.attach_alternative("<p>.html</p>\n.\n<p>end</p>", "text/html")
    return mail


def steps_backend(mail_catcher) -> EmailBackend:
    backend = get_connection(host=mail_catcher.host, port=mail_catcher.port)
    assert isinstance(backend, EmailBackend)
    backend.open()
    return backend


def hand_over_in_steps(backend: EmailBackend, mail) -> None:
    backend.begin(mail)
    backend.transmit()
    backend.conclude()


def test_the_steps_deliver_what_send_messages_delivers_with_every_dot(mail_catcher, settings):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    backend = steps_backend(mail_catcher)
    try:
        hand_over_in_steps(backend, dotted_mail("steps@example.jp"))
        backend.send_messages([dotted_mail("at-once@example.jp")])
    finally:
        backend.close()
    by_recipient = {mail.to: mail for mail in mail_catcher.wait_for(2)}
    in_steps, at_once = by_recipient["steps@example.jp"], by_recipient["at-once@example.jp"]
    assert in_steps.text.replace("\r\n", "\n") == DOTTED_TEXT
    assert (in_steps.subject, in_steps.from_, in_steps.text, in_steps.html) == (
        at_once.subject,
        at_once.from_,
        at_once.text,
        at_once.html,
    )
    assert dict(in_steps.headers)["X-MailFrom"] == "sales@example.jp"


def test_an_aborted_mail_never_arrives_and_the_connection_goes_on(mail_catcher, settings):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    backend = steps_backend(mail_catcher)
    try:
        backend.begin(dotted_mail("held-back@example.jp"))
        backend.abort()  # RSET: the server forgets the envelope
        hand_over_in_steps(backend, dotted_mail("next@example.jp"))
    finally:
        backend.close()
    assert [mail.to for mail in mail_catcher.wait_for(1)] == ["next@example.jp"]


def test_a_closed_connection_is_an_smtp_error_the_send_path_classifies(mail_catcher, settings):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    backend = get_connection(host=mail_catcher.host, port=mail_catcher.port)  # never opened
    with pytest.raises(smtplib.SMTPServerDisconnected):
        backend.begin(dotted_mail("nobody@example.jp"))
