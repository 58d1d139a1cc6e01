"""An SMTP server for fault tests: the catcher's Maildir, but some senders and recipients are refused.

Senders starting with `blocked` are refused with 550 at MAIL FROM. Recipients starting with `busy` are
refused with 451 (try later) the first `busy_times` times, starting with `bounce` with 550 (no such user)
every time. The content of a mail to an address starting with `full` is refused with 452 (mailbox full)
the first `busy_times` times, to `spam` with 554 every time: refused after DATA, when the whole mail has
gone out. For addresses starting with `lost` the mail is taken (kept in the Maildir), then the connection
is cut before the server's 250: the sender cannot know whether it arrived. It offers PIPELINING, as the
catcher does, unless its handler's `pipelining` is set to False."""

from __future__ import annotations

from collections import Counter

import pytest

from campaigns.outbox_catcher import OutboxMailbox
from tests.mail_catcher import HOST, MailCatcher, _FreePortController


class RefusingMailbox(OutboxMailbox):
    def __init__(self, directory, busy_times: int):
        super().__init__(directory)
        self.busy_times = busy_times
        self.tries: Counter[str] = Counter()  # RCPT TO per address
        self.content_tries: Counter[str] = Counter()  # DATA per `full` address

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith("blocked"):
            return "550 5.7.1 Sender not allowed"
        envelope.mail_from, envelope.mail_options = address, mail_options
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.tries[address] += 1
        if address.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy") and self.tries[address] <= self.busy_times:
            return "451 4.3.2 Please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        addresses = envelope.rcpt_tos
        if any(address.startswith("spam") for address in addresses):
            return "554 5.7.1 Message rejected as spam"
        full = [address for address in addresses if address.startswith("full")]
        for address in full:
            self.content_tries[address] += 1
        if any(self.content_tries[address] <= self.busy_times for address in full):
            return "452 4.2.2 Mailbox full, try again later"
        answer = await super().handle_DATA(server, session, envelope)
        if any(address.startswith("lost") for address in envelope.rcpt_tos):
            server.transport.abort()  # taken, and the answer never leaves
        return answer


@pytest.fixture
def refusing_mail_server(settings, tmp_path):
    directory = tmp_path / "outbox"
    handler = RefusingMailbox(directory, busy_times=2)
    controller = _FreePortController(handler, hostname=HOST, port=0)
    controller.start()
    settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    catcher = MailCatcher(HOST, controller.port, directory, handler)
    catcher.tries, catcher.content_tries = handler.tries, handler.content_tries
    yield catcher
    controller.stop()
