"""The drills' SMTP server (aiosmtpd, in the runner's process): counts every accepted mail per recipient,
and refuses some recipients the way a provider does, chosen deterministically per address.

A mail counts as delivered when the server answers 250 to its DATA: a second 250 for one address is a
duplicate. Nothing is written to disk (the counts are what the drills check).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from campaigns.outbox_catcher import OffersPipelining
from tests.mail_catcher import HOST, _FreePortController

TRANSIENT_REFUSALS = 2  # a transiently failing address is refused this many times, then accepted
TEMPORARY_RCPT = "451 4.3.2 Mailbox busy, try again later"
TEMPORARY_DATA = "451 4.3.0 Temporary local problem, try again later"
PERMANENT_RCPT = "550 5.1.1 No such user here"
HANG_SECONDS = 3600.0


@dataclass(frozen=True)
class FaultPlan:
    """Which addresses fail: `permanent_share` for good (550 at RCPT), `transient_share` for the first
    TRANSIENT_REFUSALS tries (451, half of them at RCPT, half after DATA), by a hash of the address."""

    transient_share: float = 0.0
    permanent_share: float = 0.0
    lost_reply_share: float = 0.0  # the mail is taken, then the connection drops before the 250 (first try only)
    hang_share: float = 0.0  # no answer at all to the end of DATA, the mail not taken (first try only)

    @staticmethod
    def _bucket(address: str) -> int:
        return int.from_bytes(hashlib.sha256(address.lower().encode()).digest()[:4], "big") % 10_000

    def fate(self, address: str) -> str:
        """One of permanent, transient_rcpt, transient_data, lost_reply, hang, ok."""
        bucket = self._bucket(address)
        if bucket < self.permanent_share * 10_000:
            return "permanent"
        if bucket < (self.permanent_share + self.transient_share) * 10_000:
            return "transient_rcpt" if bucket % 2 else "transient_data"
        if bucket < (self.permanent_share + self.transient_share + self.lost_reply_share) * 10_000:
            return "lost_reply"
        if bucket < (self.permanent_share + self.transient_share + self.lost_reply_share + self.hang_share) * 10_000:
            return "hang"
        return "ok"


class CountingFaultyHandler(OffersPipelining):
    def __init__(self, plan: FaultPlan):
        self.plan = plan
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # 250 after DATA, per recipient
        self.refused: Counter[str] = Counter()  # 4xx or 5xx, per recipient
        self._tries: Counter[str] = Counter()

    def _refuse_now(self, address: str, stage: str) -> str | None:
        fate = self.plan.fate(address)
        if fate == "permanent" and stage == "rcpt":
            return PERMANENT_RCPT
        if fate == f"transient_{stage}":
            self._tries[address] += 1
            if self._tries[address] <= TRANSIENT_REFUSALS:
                return TEMPORARY_RCPT if stage == "rcpt" else TEMPORARY_DATA
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self._lock:
            refusal = self._refuse_now(address, "rcpt")
            if refusal:
                self.refused[address] += 1
                return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            hang = any(self._first_time(address, "hang") for address in envelope.rcpt_tos)
        if hang:
            await asyncio.sleep(HANG_SECONDS)  # an overloaded provider; the stop of the server cancels it
            return TEMPORARY_DATA
        with self._lock:
            refusals = [self._refuse_now(address, "data") for address in envelope.rcpt_tos]
            if any(refusals):
                self.refused.update(envelope.rcpt_tos)
                return next(refusal for refusal in refusals if refusal)
            self.accepted.update(envelope.rcpt_tos)
            lose_reply = any(self._first_time(address, "lost_reply") for address in envelope.rcpt_tos)
        if lose_reply:  # a network failure after the provider took the mail: the sender cannot know
            server.transport.abort()
        return "250 Message accepted"

    def _first_time(self, address: str, fate: str) -> bool:
        """Whether `address` has this fate and this is its first try (counted)."""
        if self.plan.fate(address) != fate:
            return False
        self._tries[address] += 1
        return self._tries[address] == 1

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        """(accepted, refused) per address, copied under the lock."""
        with self._lock:
            return Counter(self.accepted), Counter(self.refused)

    def total_accepted(self) -> int:
        with self._lock:
            return sum(self.accepted.values())


def _controller(handler: CountingFaultyHandler, port: int) -> _FreePortController:
    return _FreePortController(handler, hostname=HOST, port=port, server_hostname="faults-catcher", ready_timeout=10)


class SmtpServer:
    """The running server: its handler's counts, the EMAIL_URL that reaches it, and an outage on demand."""

    def __init__(self, handler: CountingFaultyHandler, controller: _FreePortController):
        self.handler = handler
        self._controller = controller

    @property
    def email_url(self) -> str:
        return f"smtp://{HOST}:{self._controller.port}"

    def interrupt(self, seconds: float) -> float:
        """Stop listening (open sessions are cut), stay away `seconds`, listen on the same port again."""
        started = time.monotonic()
        port = self._controller.port
        self._controller.stop()
        time.sleep(seconds)
        self._controller = _controller(self.handler, port)  # a stopped controller's event loop is closed
        self._controller.start()
        return time.monotonic() - started


@contextlib.contextmanager
def smtp_server(plan: FaultPlan) -> Iterator[SmtpServer]:
    """The server on a free port of 127.0.0.1."""
    handler = CountingFaultyHandler(plan)
    controller = _controller(handler, port=0)
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    smtp_log.setLevel(logging.WARNING)
    controller.start()
    server = SmtpServer(handler, controller)
    try:
        yield server
    finally:
        server._controller.stop()
