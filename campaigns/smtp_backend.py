"""Django's SMTP backend, telling apart "refused" from "the server took it, then the answer was lost".

When the connection breaks (or times out) after the whole message went out with DATA but before the
server's reply, the server may well have taken the mail. Retrying it could send the recipient a second
copy, so that case raises `ReplyLostAfterHandOver`, which the sender records as `unknown` (S5) instead
of retrying. Every failure before that point is as Django raises it: nothing was handed over, a retry is
safe. (The provider_lost_replies fault drill sent 63 of 63 such mails twice before this.)
"""

from __future__ import annotations

import smtplib

from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend

_END_OF_DATA = b"\r\n.\r\n"


class ReplyLostAfterHandOver(smtplib.SMTPException):
    """The message was transmitted in full; the server's answer to it never came."""


class _KnowsWhenTheMessageWentOut:
    _message_sent = False

    def send(self, s) -> None:
        super().send(s)
        # DATA's payload is the only bytes smtplib sends that end the data; commands are str
        if isinstance(s, bytes) and s.endswith(_END_OF_DATA):
            self._message_sent = True

    def data(self, msg):
        self._message_sent = False
        try:
            return super().data(msg)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            if self._message_sent:
                raise ReplyLostAfterHandOver(f"the connection broke after the message was sent: {error}") from error
            raise


class SMTP(_KnowsWhenTheMessageWentOut, smtplib.SMTP):
    pass


class SMTP_SSL(_KnowsWhenTheMessageWentOut, smtplib.SMTP_SSL):
    pass


class EmailBackend(DjangoSMTPBackend):
    @property
    def connection_class(self):
        return SMTP_SSL if self.use_ssl else SMTP
