"""Django's SMTP backend, telling apart "refused" from "the server took it, then the answer was lost".

When the connection breaks (or times out) after the whole message went out with DATA but before the
server's reply, the server may well have taken the mail. Retrying it could send the recipient a second
copy, so that case raises `ReplyLostAfterHandOver`, which the sender records as `unknown` (S5) instead
of retrying. Every failure before that point is as Django raises it: nothing was handed over, a retry is
safe. (The provider_lost_replies fault drill sent 63 of 63 such mails twice before this.)

It also hands smtplib the envelope's addresses without parsing each of them again: Django runs every
address through the e-mail header parser (`sanitize_address`), about 170 µs a mail, a third of what sending
through SMTP added to a worker's time (bench_sending_e2e). A plain address comes out of it unchanged, so it
is passed as it is; any other (a display name, an internationalised domain, a quoted local part, an invalid
one) still goes through Django's function, remembered per process (a campaign's From is the same for every
mail).

And it hands a message over in steps (`begin`, `transmit`, `conclude`), which the send path interleaves
with its own work: MAIL FROM and RCPT TO go out while the mail's "sending" mark is being saved, the content
only once it is saved, and the server's answer to the content is read after the next mail has been built.
Waiting for that answer (the server reading and storing the whole message) was the longest wait of a
worker; the mail is still handed over in full before the next one starts, so at most one mail of a worker
is ever between its mark and its recorded outcome. The steps raise what `sendmail` raises at the same
points, so the send path classifies their errors as before.

A server that offers PIPELINING (RFC 2920; Postfix and the providers' relays do, and so does the local
catcher) gets MAIL FROM, RCPT TO and DATA in one write, and its three answers are read once the mark is
saved, usually all waiting already: one wait for the server a mail instead of three, and far fewer system
calls on both sides. A begun mail that must not go out then ends with its connection instead of RSET (the
server is waiting for content, and keeps nothing whose content never ended), and the backend reconnects.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from functools import lru_cache

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address

_LINE_STARTING_WITH_A_DOT = re.compile(rb"(?m)^\.")  # doubled inside DATA (RFC 5321 4.5.2), as smtplib does
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# a dot-atom local part at an ASCII domain of labels 1-63 long: sanitize_address returns exactly this string
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9-]{{1,63}}\.)*[A-Za-z0-9-]{{1,63}}")


class ReplyLostAfterHandOver(smtplib.SMTPException):
    """The message was transmitted in full; the server's answer to it never came."""


class _TransactionInSteps:
    """smtplib's `sendmail`, cut where the send path has other work to do (see the module's docstring). The
    content goes out in full or not at all as far as this client knows: only an answer lost after it means
    the server may have the mail (`content_answer`)."""

    _pipelined: tuple[str, list[str]] | None = None  # the envelope sent ahead, its answers not read yet

    def begin_transaction(self, from_address: str, to_addresses: list[str], size: int) -> None:
        """MAIL FROM and RCPT TO; refusals raised as `sendmail` raises them. A server that offers PIPELINING
        (RFC 2920) gets them with DATA in one write, and its answers are read by `transmit_content`."""
        self.ehlo_or_helo_if_needed()
        options = [f"size={size}"] if self.does_esmtp and self.has_extn("size") else []
        if self.does_esmtp and self.has_extn("pipelining"):
            self._send_envelope_ahead(from_address, to_addresses, options)
        else:
            self._send_envelope_waiting(from_address, to_addresses, options)

    def _send_envelope_ahead(self, from_address: str, to_addresses: list[str], options: list[str]) -> None:
        commands = [" ".join([f"mail FROM:{_angle_address(from_address)}", *options])]
        commands += [f"rcpt TO:{_angle_address(address)}" for address in to_addresses]
        self.send(b"".join(_command_line(command, self.command_encoding) for command in [*commands, "data"]))
        self._pipelined = (from_address, to_addresses)

    def _send_envelope_waiting(self, from_address: str, to_addresses: list[str], options: list[str]) -> None:
        code, reply = self.mail(from_address, options)
        if code != 250:
            self._end_transaction(code)
            raise smtplib.SMTPSenderRefused(code, reply, from_address)
        refused = {}
        for address in to_addresses:
            code, reply = self.rcpt(address)
            if code not in (250, 251):
                refused[address] = (code, reply)
            if code == 421:
                self.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(to_addresses):
            self._rset()
            raise smtplib.SMTPRecipientsRefused(refused)

    def transmit_content(self, content: bytes) -> None:
        """DATA, then the content and its closing dot; the server's answer is left for `content_answer`."""
        if self._pipelined is not None:
            self._read_pipelined_answers()
        else:
            self.putcmd("data")
            code, reply = self.getreply()
            if code != 354:
                self._end_transaction(code)
                raise smtplib.SMTPDataError(code, reply)
        stuffed = _LINE_STARTING_WITH_A_DOT.sub(b"..", content)
        self.send(stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n")

    def _read_pipelined_answers(self) -> None:
        """The answers to MAIL FROM, each RCPT TO and DATA sent ahead, raised as `sendmail` raises them. When
        the server waits for content it must not get (a refusal, or `abandon_transaction`), the connection is
        closed: a server keeps no mail whose content ended without its closing dot."""
        (from_address, to_addresses), self._pipelined = self._pipelined, None
        mail_answer = self.getreply()
        rcpt_answers = [self.getreply() for _ in to_addresses]
        data_code, data_reply = self.getreply()
        answers = zip(to_addresses, rcpt_answers, strict=True)
        refused = {address: answer for address, answer in answers if answer[0] not in (250, 251)}
        error: smtplib.SMTPException | None = None
        if mail_answer[0] != 250:
            error = smtplib.SMTPSenderRefused(*mail_answer, from_address)
        elif refused and (len(refused) == len(to_addresses) or 421 in (code for code, _ in refused.values())):
            error = smtplib.SMTPRecipientsRefused(refused)
        elif data_code != 354:
            error = smtplib.SMTPDataError(data_code, data_reply)
        if error is None:
            return
        if data_code == 354:
            self.close()
        else:
            self._end_transaction(data_code)
        raise error

    def abandon_transaction(self) -> None:
        """Between `begin_transaction` and `transmit_content`: the server forgets the envelope."""
        if self._pipelined is None:
            self.rset()
            return
        self._pipelined = None
        self.close()  # DATA was sent ahead: closing mid-content is the only way out that delivers nothing

    def quit(self):
        if self._pipelined is not None:  # DATA was sent ahead: the server would take QUIT for content
            self.abandon_transaction()
            return (221, b"closed without QUIT, in the middle of a transaction")
        return super().quit()

    def content_answer(self) -> None:
        """The server's answer to the content: it took the mail, or the error `sendmail` raises."""
        try:
            code, reply = self.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise ReplyLostAfterHandOver(f"the connection broke after the message was sent: {error}") from error
        if code != 250:
            self._end_transaction(code)
            raise smtplib.SMTPDataError(code, reply)

    def _end_transaction(self, code: int) -> None:
        if code == 421:  # the server is closing the connection
            self.close()
        else:
            self._rset()


def _angle_address(address: str) -> str:
    """smtplib's `quoteaddr`, without its address parser for a plain address (it returns `<address>` for one):
    the parser cost 2 % of a worker's time sending through SMTP, for addresses `envelope_address` had checked."""
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def _command_line(command: str, encoding: str) -> bytes:
    """One command as smtplib's `putcmd` writes it."""
    if "\r" in command or "\n" in command:
        raise ValueError("command and arguments contain prohibited newline characters")
    return f"{command}\r\n".encode(encoding)


class SMTP(_TransactionInSteps, smtplib.SMTP):
    pass


class SMTP_SSL(_TransactionInSteps, smtplib.SMTP_SSL):
    pass


def envelope_address(address: str, encoding: str) -> str:
    """sanitize_address(address, encoding), without the parser for a plain address."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _sanitized(address, encoding)


@lru_cache(maxsize=256)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


class EmailBackend(DjangoSMTPBackend):
    @property
    def connection_class(self):
        return SMTP_SSL if self.use_ssl else SMTP

    hands_over_in_steps = True
    _content = b""

    def begin(self, email_message) -> None:
        """The first step of handing over one message: its envelope (MAIL FROM, RCPT TO)."""
        if self.connection is None:
            raise smtplib.SMTPServerDisconnected("the connection to the SMTP server is not open")
        recipients = email_message.recipients()
        if not recipients:
            raise ValueError("the message has no recipient")
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        self._content = email_message.message().as_bytes(linesep="\r\n")
        self.connection.begin_transaction(
            envelope_address(email_message.from_email, encoding),
            [envelope_address(address, encoding) for address in recipients],
            len(self._content),
        )

    def transmit(self) -> None:
        """The second step: the content. From here on the server may have the mail."""
        content, self._content = self._content, b""
        self.connection.transmit_content(content)

    def conclude(self) -> None:
        """The last step: the server's answer to the content (ReplyLostAfterHandOver if it never comes)."""
        self.connection.content_answer()

    def abort(self) -> None:
        """Between `begin` and `transmit`: the server forgets the envelope (RSET, or with PIPELINING a new
        connection). A connection that cannot be opened again shows at the next message's `begin`."""
        self._content = b""
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.abandon_transaction()
        if self.connection.sock is None:
            self.connection = None
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.open()

    def _send(self, email_message) -> bool:
        """Django's `_send` (its `send_messages`, for the test mail and any other caller), in the steps above."""
        if not email_message.recipients():
            return False
        try:
            self.begin(email_message)
            self.transmit()
            self.conclude()
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
