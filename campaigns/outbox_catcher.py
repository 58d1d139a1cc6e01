"""The local mail catcher's handler: `make run` starts `python -m aiosmtpd ... -c
campaigns.outbox_catcher.OutboxMailbox var/outbox`, and the tests' catcher uses the same class.

aiosmtpd's Mailbox stores every mail as one file of the Maildir that campaigns/outbox.py reads. This one
also offers PIPELINING (RFC 2920) in its EHLO answer, as Postfix and the providers' SMTP relays do, so the
sender's pipelined hand-over (campaigns/smtp_backend.py) runs locally as it runs against them. aiosmtpd
reads commands from a buffered stream one after the other, so commands that arrive together are answered
in order, which is all PIPELINING asks of a server.
"""

from __future__ import annotations

from aiosmtpd.handlers import Mailbox


class OffersPipelining:
    """An aiosmtpd handler mixin: PIPELINING in the EHLO answer while `pipelining` is true."""

    pipelining = True

    async def handle_EHLO(self, server, session, envelope, hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when no handler answers EHLO
        if not self.pipelining:
            return responses
        *offers, last = responses
        return [*offers, "250-PIPELINING", last]


class OutboxMailbox(OffersPipelining, Mailbox):
    """aiosmtpd's Mailbox (a Maildir), offering PIPELINING."""
