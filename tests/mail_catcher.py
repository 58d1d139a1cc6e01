"""A real SMTP mail catcher for tests: aiosmtpd on 127.0.0.1, the handler `make run` uses (a Maildir).

Registered for every test through `pytest_plugins` in tests/conftest.py. Use it where a test sends
mail through Django's real SMTP backend (a composer's test send, a Celery worker delivering):

    def test_test_send(mail_catcher, bob_client):
        bob_client.post(...)
        [mail] = mail_catcher.wait_for(1)
        assert mail.subject == "..." and "lead@example.jp" in mail.to and "..." in mail.text

The fixture switches this process's settings to SMTP on the catcher (EMAIL_BACKEND, EMAIL_HOST,
EMAIL_PORT, no TLS/SSL, no login) and OUTBOX_DIR to the catcher's Maildir. A worker in another
process does not see those settings: start it with `mail_catcher.env()` in its environment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from campaigns.outbox import OutboxMail, list_outbox, read_outbox_mail
from campaigns.outbox_catcher import OutboxMailbox

HOST = "127.0.0.1"


class _FreePortController(Controller):
    """Controller(port=0) that learns the port the OS picked.

    aiosmtpd 1.4.6 binds port 0 fine (asyncio picks a free port) but then checks the server is up
    by connecting to `self.port`, still 0. Reading the bound port first makes port 0 work, with no
    race between finding a free port and binding it.
    """

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailCatcher:
    """What the `mail_catcher` fixture yields."""

    def __init__(self, host: str, port: int, directory: Path, handler: OutboxMailbox | None):
        self.host = host
        self.port = port
        self.directory = directory  # the Maildir (cur/new/tmp), also settings.OUTBOX_DIR
        self.handler = handler  # None when the catcher runs in another process

    @property
    def email_url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables that point another process (a Celery worker) at this catcher."""
        return {"EMAIL_URL": self.email_url, "OUTBOX_DIR": str(self.directory), "ESP": ""}

    def messages(self) -> list[OutboxMail]:
        """Every caught mail, OLDEST FIRST (the order they were sent), with headers, text and HTML parts."""
        keys = [mail.key for mail in reversed(list_outbox(limit=None, directory=self.directory))]
        mails = (read_outbox_mail(key, directory=self.directory) for key in keys)
        return [mail for mail in mails if mail is not None]

    def count(self) -> int:
        return len(list_outbox(limit=None, directory=self.directory))

    def wait_for(self, count: int, timeout: float = 10) -> list[OutboxMail]:
        """Poll until at least `count` mails are caught; returns messages() (oldest first).

        Fails the test with what was caught so far when `timeout` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        while True:
            caught = self.count()
            if caught >= count:
                return self.messages()
            if time.monotonic() >= deadline:
                subjects = [mail.subject for mail in self.messages()]
                pytest.fail(f"mail catcher: waited {timeout}s for {count} mail(s), caught {caught}: {subjects}")
            time.sleep(0.05)

    def clear(self) -> None:
        """Forget every caught mail."""
        self.handler.mailbox.clear()


@pytest.fixture
def mail_catcher(settings, tmp_path) -> Iterator[MailCatcher]:
    """A running SMTP catcher on 127.0.0.1 (a free port) with Django's SMTP backend pointed at it."""
    directory = tmp_path / "outbox"
    handler = OutboxMailbox(directory)  # creates the Maildir
    controller = _FreePortController(
        handler, hostname=HOST, port=0, server_hostname="mail-catcher.test", ready_timeout=10
    )
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    smtp_log_level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    try:
        controller.start()
        try:
            settings.EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"
            settings.EMAIL_HOST = HOST
            settings.EMAIL_PORT = controller.port
            settings.EMAIL_HOST_USER = ""
            settings.EMAIL_HOST_PASSWORD = ""
            settings.EMAIL_USE_TLS = False
            settings.EMAIL_USE_SSL = False
            settings.EMAIL_TIMEOUT = 10
            settings.OUTBOX_DIR = directory
            yield MailCatcher(HOST, controller.port, directory, handler)
        finally:
            controller.stop()
    finally:
        smtp_log.setLevel(smtp_log_level)
