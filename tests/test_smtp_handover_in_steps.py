"""The SMTP backend's hand-over in steps (begin, transmit, conclude), against the catcher, both with
PIPELINING (the catcher offers it, as the providers' relays do) and one command at a time: the same mail
as Django's `send_messages` puts on the wire, dots kept; a begun mail that is aborted never arrives; each
refusal raised as smtplib's `sendmail` raises it, and the connection goes on."""

import re
import smtplib

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from campaigns.smtp_backend import EmailBackend

# lines a server would read as the end of the data, or shorten, unless the client doubles their first dot
DOTTED_TEXT = "本文です。\n.\n.hidden line\n..two dots\nlast line"

BOTH_WAYS = pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-command-at-a-time"])


def dotted_mail(to: str, from_email: str = "営業部 <sales@example.jp>") -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(subject="点のある本文", body=DOTTED_TEXT, from_email=from_email, to=[to])
    mail.attach_alternative("<p>.html</p>\n.\n<p>end</p>", "text/html")
    return mail


def steps_backend(catcher) -> EmailBackend:
    backend = get_connection(host=catcher.host, port=catcher.port)
    assert isinstance(backend, EmailBackend)
    backend.open()
    return backend


def hand_over_in_steps(backend: EmailBackend, mail) -> None:
    backend.begin(mail)
    backend.transmit()
    backend.conclude()


@BOTH_WAYS
def test_the_steps_deliver_what_send_messages_delivers_with_every_dot(mail_catcher, settings, pipelining):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    mail_catcher.handler.pipelining = pipelining
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


class RecordingSocket:
    """The client's socket, keeping each write."""

    def __init__(self, sock):
        self._sock, self.writes = sock, []

    def sendall(self, data: bytes) -> None:
        self.writes.append(data)
        self._sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@BOTH_WAYS
def test_with_pipelining_the_envelope_and_data_go_out_in_one_write(mail_catcher, settings, pipelining):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    mail_catcher.handler.pipelining = pipelining
    backend = steps_backend(mail_catcher)
    try:
        backend.connection.ehlo()
        backend.connection.sock = recording = RecordingSocket(backend.connection.sock)
        hand_over_in_steps(backend, dotted_mail("one-write@example.jp"))
    finally:
        backend.close()
    writes = recording.writes
    if pipelining:  # the envelope with DATA, the content with its closing dot, QUIT
        assert re.fullmatch(
            rb"mail FROM:<sales@example.jp> size=\d+\r\nrcpt TO:<one-write@example.jp>\r\ndata\r\n", writes[0]
        )
        assert writes[1].endswith(b"\r\n.\r\n") and writes[2:] == [b"quit\r\n"]
    else:
        assert [write.split(b":")[0] for write in writes[:3]] == [b"mail FROM", b"rcpt TO", b"data\r\n"]
    [caught] = mail_catcher.wait_for(1)
    assert caught.to == "one-write@example.jp"


@BOTH_WAYS
def test_an_aborted_mail_never_arrives_and_the_next_one_does(mail_catcher, settings, pipelining):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    mail_catcher.handler.pipelining = pipelining
    backend = steps_backend(mail_catcher)
    try:
        backend.begin(dotted_mail("held-back@example.jp"))
        backend.abort()  # RSET, or with PIPELINING (DATA already sent) a new connection
        hand_over_in_steps(backend, dotted_mail("next@example.jp"))
        hand_over_in_steps(backend, dotted_mail("after@example.jp"))
    finally:
        backend.close()
    assert sorted(mail.to for mail in mail_catcher.wait_for(2)) == ["after@example.jp", "next@example.jp"]


@BOTH_WAYS
@pytest.mark.parametrize(
    ("sender", "recipient", "error", "code"),
    [
        ("blocked@example.jp", "lead@example.jp", smtplib.SMTPSenderRefused, 550),
        ("sales@example.jp", "bounce@example.jp", smtplib.SMTPRecipientsRefused, 550),
        ("sales@example.jp", "busy@example.jp", smtplib.SMTPRecipientsRefused, 451),
        ("sales@example.jp", "spam@example.jp", smtplib.SMTPDataError, 554),
    ],
    ids=["sender", "recipient", "recipient-for-now", "content"],
)
def test_a_refusal_is_raised_as_sendmail_raises_it_and_the_connection_goes_on(
    refusing_mail_server, pipelining, sender, recipient, error, code
):
    refusing_mail_server.handler.pipelining = pipelining
    backend = steps_backend(refusing_mail_server)
    try:
        with pytest.raises(error) as refused:
            hand_over_in_steps(backend, dotted_mail(recipient, from_email=sender))
        hand_over_in_steps(backend, dotted_mail("welcome@example.jp"))
    finally:
        backend.close()
    answer = refused.value.recipients[recipient] if error is smtplib.SMTPRecipientsRefused else refused.value.args
    assert answer[0] == code
    assert [mail.to for mail in refusing_mail_server.wait_for(1)] == ["welcome@example.jp"]


@BOTH_WAYS
def test_closing_after_begin_delivers_nothing(mail_catcher, settings, pipelining):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    mail_catcher.handler.pipelining = pipelining
    backend = steps_backend(mail_catcher)
    backend.begin(dotted_mail("never@example.jp"))  # then the send path fails (its database, say) and closes
    backend.close()
    later = steps_backend(mail_catcher)
    hand_over_in_steps(later, dotted_mail("later@example.jp"))
    later.close()
    assert [mail.to for mail in mail_catcher.wait_for(1)] == ["later@example.jp"]


def test_a_closed_connection_is_an_smtp_error_the_send_path_classifies(mail_catcher, settings):
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    backend = get_connection(host=mail_catcher.host, port=mail_catcher.port)  # never opened
    with pytest.raises(smtplib.SMTPServerDisconnected):
        backend.begin(dotted_mail("nobody@example.jp"))
