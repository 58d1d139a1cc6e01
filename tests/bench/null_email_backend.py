"""A null mail provider for the sending benchmarks: every message is serialised to MIME bytes, then dropped.

`EMAIL_BACKEND = "tests.bench.null_email_backend.EmailBackend"` makes the send path pay everything
up to the provider (claim, render, state writes, building and serialising the MIME message) and
nothing of the provider itself, so the pipeline's own cost can be measured. `sent` and `sent_bytes`
count what went through this process's backends (a benchmark reads them to check nothing was lost).
"""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend

sent = 0
sent_bytes = 0


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        global sent, sent_bytes
        for message in email_messages:
            sent_bytes += len(message.message().as_bytes(linesep="\r\n"))  # what the SMTP backend puts on the wire
        sent += len(email_messages)
        return len(email_messages)
