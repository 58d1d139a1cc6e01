"""The send path after the snapshot (S2–S8): claim a batch, render, hand over, record — one message at a time.

PostgreSQL is the queue: a batch is claimed with FOR UPDATE SKIP LOCKED, so any number of workers
share a campaign. Each message moves claimed -> sending (saved before the provider call) -> sent |
failed | back to pending for a retry. A message left in `sending` by a dead worker may have reached
the provider, so the sweeper turns it into `unknown`, never into a second mail. A message left in
`claimed` never reached the provider and simply goes back to `pending`.

Each mail's write goes over a second connection without waiting (overlapped_statements.py): the mail is
built and serialised while PostgreSQL saves its mark, and handed over once the mark is saved.

Durability without a disk flush per mail: the claim is committed durably, the per-mail writes inside
a batch are committed without waiting for PostgreSQL's WAL flush (synchronous_commit off: visible to
every session at once, lost only if the database server itself crashes), and the batch ends with a
durable commit, which flushes the WAL up to itself and so every write of the batch before it. Until
then the worker keeps its own record of what it handed over (`HandOverLog`). A worker killed mid-batch
loses nothing: its writes are in the running database. A database that loses connections or crashes
mid-batch: the worker waits for it and writes its record again, so a handed-over mail never goes back
to `pending`. If the worker dies as well, the sweeper treats claims older than the database's last
start as possibly handed over: `unknown`, never re-sent.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.db import Error as DatabaseError  # PEP 249's base class: a closed connection is an InterfaceError
from django.db import connection, transaction
from django.db.models import Min, Q
from django.db.models.functions import Now
from django.utils import timezone

from campaigns.mail_message import Envelope, build_email
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from campaigns.overlapped_statements import OverlappedStatement
from campaigns.provider_errors import ProviderError, classify
from campaigns.rendering import CompiledCampaign, Recipient, compile_campaign_mail
from campaigns.selectors import IN_FLIGHT_STATUSES, final_outcome_counts
from campaigns.throttle import SendThrottle, redis_client
from config.prepared_statements import PreparedStatement, run_prepared
from leads.models import Suppression

logger = logging.getLogger(__name__)

STATUS_CHECK_SECONDS = 0.2  # between looks at the campaign's state: pause and cancel take effect this fast
AFTER_A_DATABASE_ERROR_SECONDS = 2.0  # a batch cut short by a database error: the next one waits this long


@dataclass(frozen=True)
class BatchOutcome:
    more_work: bool  # pending messages are due: the caller queues the next batch
    retry_in: float = 0.0  # throttled: try again after this many seconds


def _now():
    return timezone.now()


# what the rest of the send path reads of a claimed message and its lead (rendering, checks, outcomes)
_FIELDS_A_BATCH_USES = (
    "email",
    "email_normalized",
    "token",
    "attempts",
    "lead__company_name",
    "lead__last_name",
    "lead__first_name",
)


def claim_batch(campaign: Campaign, size: int) -> tuple[str, list[Message]]:
    """Up to `size` due pending messages, marked as this batch's; other workers skip locked rows."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=_now())
    with transaction.atomic():
        candidates = (
            Message.objects.filter(campaign=campaign, status=MessageStatus.PENDING)
            .filter(due)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:size]
        )
        ids = list(candidates)
        if not ids:
            return "", []
        claim = secrets.token_hex(8)
        # the database's clock, which the sweeper compares with the database's start
        Message.objects.filter(id__in=ids, status=MessageStatus.PENDING).update(
            status=MessageStatus.CLAIMED, claim=claim, claimed_at=Now()
        )
        Campaign.objects.filter(pk=campaign.pk).update(last_batch_at=_now())  # same commit: one WAL flush
    try:
        # read back by primary key: `claim` has no index of its own
        claimed = Message.objects.filter(id__in=ids, claim=claim).select_related("lead").only(*_FIELDS_A_BATCH_USES)
        return claim, list(claimed.order_by("id"))
    except DatabaseError as lost:
        _write_again_when_the_database_returns(HandOverLog(claim), lost)  # nothing handed over: all back to pending
        raise


def _skip(messages: list[Message], reason: str) -> None:
    Message.objects.filter(id__in=[message.pk for message in messages], status=MessageStatus.CLAIMED).update(
        status=MessageStatus.SKIPPED, error=reason, claim=""
    )


def set_aside_unsendable(campaign: Campaign, messages: list[Message]) -> list[Message]:
    """S6 and deleted leads: suppressed since the snapshot, or the lead is gone; the rest go on."""
    addresses = [message.email_normalized for message in messages]
    suppressed = set(
        Suppression.objects.filter(tenant_id=campaign.tenant_id, email_normalized__in=addresses).values_list(
            "email_normalized", flat=True
        )
    )
    now_suppressed = [message for message in messages if message.email_normalized in suppressed]
    lead_gone = [message for message in messages if message.lead is None and message.email_normalized not in suppressed]
    _skip(now_suppressed, "suppressed after the recipients were fixed")
    _skip(lead_gone, "the lead was deleted before sending")
    return [message for message in messages if message.lead is not None and message.email_normalized not in suppressed]


@lru_cache(maxsize=32)
def _compiled(campaign_id: int, version: str) -> CompiledCampaign:
    campaign = Campaign.objects.select_related("tenant").get(pk=campaign_id)
    return compile_campaign_mail(campaign)


def compiled_for(campaign: Campaign) -> CompiledCampaign:
    """Compiled once per worker process and campaign (a sending campaign cannot be edited)."""
    return _compiled(campaign.pk, campaign.updated_at.isoformat())


# The two writes every mail makes, as plain SQL: the ORM's query building cost as much as the write itself;
# prepared once per connection, as parsing and planning them cost PostgreSQL more than writing the row.
_MARK_SENDING = PreparedStatement(
    "mark_sending",
    f"UPDATE {Message._meta.db_table} SET status = %s, attempts = attempts + 1, claimed_at = %s "  # noqa: S608
    "WHERE id = %s AND status = %s AND claim = %s",
)
# what a mail the provider took records: the fields of _sent_fields, in this order
_SENT_COLUMNS = ("status", "sent_at", "delivered_at", "provider_message_id", "error", "claim")
_RECORD_SENT = PreparedStatement(
    "record_sent",
    f"UPDATE {Message._meta.db_table} SET {', '.join(f'{column} = %s' for column in _SENT_COLUMNS)} "  # noqa: S608
    "WHERE id = %s AND status = %s",
)


# a mail handed over and not yet recorded: (message, provider's id, delivered on acceptance)
SentMail = tuple[Message, str, bool]


def _mark_sending(message: Message, claim: str) -> bool:
    """Saved before the provider call: from here on a crash leaves `unknown`, never a second mail."""
    statement = OverlappedStatement()
    _start_marking(statement, message, claim, sent_before=None)
    return statement.wait() == 1


def _start_marking(statement: OverlappedStatement, message: Message, claim: str, *, sent_before: SentMail | None):
    """Send the "sending" mark without waiting for it. On PostgreSQL the previous mail's "sent" travels in the
    same round trip and commit (`sent_before`); the row count the statement answers is this mail's mark's."""
    params = [MessageStatus.SENDING, _now(), message.pk, MessageStatus.CLAIMED, claim]
    if sent_before is not None and connection.vendor != "postgresql":
        _record_sent(*sent_before)
        sent_before = None
    if sent_before is None:
        statement.start((_MARK_SENDING, params))
    else:
        statement.start((_RECORD_SENT, _record_sent_params(*sent_before)), (_MARK_SENDING, params))


def _sent_fields(provider_message_id: str, delivered: bool) -> dict:
    now = _now()
    return {
        "status": MessageStatus.SENT,
        "sent_at": now,
        "delivered_at": now if delivered else None,
        "provider_message_id": provider_message_id[:255],
        "error": "",
        "claim": "",
    }


def _record_sent_params(message: Message, provider_message_id: str, delivered: bool) -> list:
    fields = _sent_fields(provider_message_id, delivered)
    return [*(fields[column] for column in _SENT_COLUMNS), message.pk, MessageStatus.SENDING]


def _record_sent(message: Message, provider_message_id: str, delivered: bool) -> None:
    with connection.cursor() as cursor:
        run_prepared(cursor, _RECORD_SENT, _record_sent_params(message, provider_message_id, delivered))


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, ... capped at an hour (the base is a setting so tests can shorten it)."""
    seconds = settings.SENDING_RETRY_BASE_SECONDS * (4 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, 3600))


MAYBE_DELIVERED = "the provider may have taken this mail before the connection broke; it is not sent again"


def _failure_fields(message: Message, problem: ProviderError) -> dict:
    attempts = message.attempts + 1  # as claimed, plus the one _mark_sending counted
    if problem.maybe_delivered:
        return {
            "status": MessageStatus.UNKNOWN,
            "attempts": attempts,
            "error": f"{MAYBE_DELIVERED} ({problem.reason})"[:2000],
            "claim": "",
        }
    if problem.temporary and attempts < settings.SENDING_MAX_ATTEMPTS:
        fields = {"status": MessageStatus.PENDING, "next_attempt_at": _now() + retry_delay(attempts)}
        reason = problem.reason
    else:
        fields = {"status": MessageStatus.FAILED}
        reason = problem.reason if not problem.temporary else f"{problem.reason} (gave up after {attempts} attempts)"
    return {**fields, "attempts": attempts, "error": reason[:2000], "claim": ""}


def _record_failure(message: Message, problem: ProviderError) -> None:
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**_failure_fields(message, problem))


def release(claim: str, *, delay: timedelta | None = None, ids: list[int] | None = None) -> int:
    """Claimed messages that were not handed over go back to pending (no attempt counted)."""
    messages = Message.objects.filter(claim=claim, status=MessageStatus.CLAIMED)
    if ids is not None:
        messages = messages.filter(id__in=ids)
    next_attempt = _now() + delay if delay else None
    return messages.update(status=MessageStatus.PENDING, claim="", claimed_at=None, next_attempt_at=next_attempt)


@dataclass
class HandOverLog:
    """What this worker handed to the provider in one batch, with each outcome, until the batch ends.

    The batch's per-mail writes skip the WAL flush, so until its last, durable write a database crash
    may forget some of them; this record lets the worker write them again (`write_again`).
    """

    claim: str
    sent: list[SentMail] = field(default_factory=list)
    failed: list[tuple[Message, ProviderError]] = field(default_factory=list)
    marking: Message | None = None  # its "sending" mark was on its way when the database went: not handed over

    def write_again(self) -> None:
        """Every outcome once more over whatever the database kept, durably; the rest goes back to pending."""
        unrecorded = (MessageStatus.CLAIMED, MessageStatus.SENDING)
        with transaction.atomic():
            for message, provider_message_id, delivered in self.sent:
                Message.objects.filter(pk=message.pk, claim=self.claim, status__in=unrecorded).update(
                    **_sent_fields(provider_message_id, delivered), attempts=message.attempts + 1
                )
            for message, problem in self.failed:
                Message.objects.filter(pk=message.pk, claim=self.claim, status__in=unrecorded).update(
                    **_failure_fields(message, problem)
                )
            if self.marking is not None:
                Message.objects.filter(pk=self.marking.pk, claim=self.claim, status=MessageStatus.SENDING).update(
                    status=MessageStatus.CLAIMED, attempts=self.marking.attempts
                )
            release(self.claim)


def _write_again_when_the_database_returns(log: HandOverLog, lost: DatabaseError) -> None:
    """The database went away mid-batch: wait for it (a restart takes seconds), then write the log again.
    If it stays away, the claim is left to the sweeper, which never sends a claim of before a restart again."""
    logger.warning(
        "database error mid-batch (claim %s, %d handed over): %s; writing the batch's outcomes again",
        log.claim,
        len(log.sent) + len(log.failed),
        lost,
    )
    give_up_at = time.monotonic() + settings.SENDING_DATABASE_WAIT_SECONDS
    while True:
        with contextlib.suppress(DatabaseError):
            connection.close()  # the broken connection; the next query opens a new one
        try:
            log.write_again()
            return
        except DatabaseError as error:
            if time.monotonic() >= give_up_at:
                raise error from lost
            time.sleep(1.0)


@contextlib.contextmanager
def _one_wal_flush(campaign_id: int) -> Iterator[None]:
    """The batch's per-mail commits skip the WAL flush; the closing write (the campaign's last_batch_at) waits
    for it, and so makes every write of the batch before it durable as well."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # never keep a connection whose commits would not wait for the disk (the next claim must)
            with contextlib.suppress(DatabaseError):
                connection.close()
    Campaign.objects.filter(pk=campaign_id).update(last_batch_at=_now())


def _hand_over(email) -> str:
    """Send one message; the provider's id for it (anymail) or our Message-ID (SMTP)."""
    email.send()
    status = getattr(email, "anymail_status", None)
    if status is not None:
        if status.status and status.status <= {"rejected", "invalid"}:
            raise AnymailRecipientsRefused(f"the provider refused the recipient ({', '.join(status.status)})")
        if status.message_id:
            return str(status.message_id)
    return email.extra_headers.get("Message-ID", "")


def _still_sending(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists()


def deliver_batch(campaign_id: int) -> BatchOutcome:
    """One batch of one campaign: throttled per tenant and recipient domain, one provider connection."""
    campaign = Campaign.objects.select_related("tenant").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        return BatchOutcome(more_work=False)
    throttle = SendThrottle(redis_client(), campaign.tenant_id, campaign.tenant.send_rate_per_second)
    grant = throttle.take_for_tenant(settings.SENDING_BATCH_SIZE)
    if grant.granted == 0:
        return BatchOutcome(more_work=True, retry_in=grant.wait_seconds)
    claim, messages = claim_batch(campaign, grant.granted)
    if not messages:
        if finish_if_done(campaign_id):
            return BatchOutcome(more_work=False)
        return _come_back_for_retries(campaign_id)
    log = HandOverLog(claim)
    try:
        with _one_wal_flush(campaign_id):
            _deliver_claimed(campaign, log, set_aside_unsendable(campaign, messages), throttle)
    except DatabaseError as lost:
        _write_again_when_the_database_returns(log, lost)
        # an error that outlasts the database's return (not an outage) must not turn the chain into a busy loop
        return BatchOutcome(more_work=True, retry_in=AFTER_A_DATABASE_ERROR_SECONDS)
    except BaseException:
        log.write_again()  # what was handed over is recorded as such, the rest goes back to pending
        raise
    finish_if_done(campaign_id)
    return BatchOutcome(more_work=True)


def _come_back_for_retries(campaign_id: int) -> BatchOutcome:
    """Nothing due now: if retries wait, the chain comes back when the first is due (else it ends; the
    batches in flight elsewhere finish the campaign), rather than leaving them to the sweeper."""
    first_due = Message.objects.filter(campaign_id=campaign_id, status=MessageStatus.PENDING).aggregate(
        first=Min("next_attempt_at")
    )["first"]
    if first_due is None:
        return BatchOutcome(more_work=False)
    return BatchOutcome(more_work=True, retry_in=max(1.0, (first_due - _now()).total_seconds()))


def _deliver_claimed(campaign: Campaign, log: HandOverLog, messages: list[Message], throttle: SendThrottle) -> None:
    compiled = compiled_for(campaign)
    envelope = Envelope.of_campaign(campaign)
    provider = get_connection()
    try:
        provider.open()
    except Exception as error:  # the provider cannot be reached: the batch waits, nothing is lost
        reason = classify(error).reason[:2000]
        Message.objects.filter(claim=log.claim, status=MessageStatus.CLAIMED).update(error=reason)
        release(log.claim, delay=retry_delay(1))
        return
    try:
        last_sent = _hand_over_each(campaign, log, messages, throttle, compiled, envelope, provider)
    finally:
        provider.close()
    if last_sent is not None:
        _record_sent(*last_sent)
    release(log.claim)


def _within_domain_rates(claim: str, messages: list[Message], throttle: SendThrottle) -> list[Message]:
    """The messages each recipient domain's bucket allows now (one Redis round trip); the rest wait."""
    by_domain: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        by_domain[message.email_normalized.rpartition("@")[2]].append(message)
    grants = throttle.take_for_domains({domain: len(waiting) for domain, waiting in by_domain.items()})
    allowed: set[int] = set()
    for domain, domain_messages in by_domain.items():
        grant = grants[domain]
        allowed.update(message.pk for message in domain_messages[: grant.granted])
        waiting = [message.pk for message in domain_messages[grant.granted :]]
        if waiting:
            release(claim, ids=waiting, delay=timedelta(seconds=grant.wait_seconds))
    return [message for message in messages if message.pk in allowed]


def _built_email(compiled: CompiledCampaign, envelope: Envelope, message: Message, provider):
    lead = message.lead
    rendered = compiled.render(Recipient(lead.company_name, lead.last_name, lead.first_name), message.token)
    email = build_email(envelope, rendered, message.email, connection=provider)
    # built and serialised once, here, while the database or the SMTP server is busy with something else
    # (_hand_over_each); the backend gets the same message (an SMTP backend sends these bytes)
    email.message().as_bytes(linesep="\r\n")
    return email


def _fail_unbuilt(message: Message, error: Exception) -> None:
    """Marked already (its build failed before the mark was saved) but never handed over: no attempt counted."""
    reason = f"the mail could not be built: {type(error).__name__}: {error}"[:2000]
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, error=reason, claim="", attempts=message.attempts
    )


class _HandOver:
    """One mail's hand-over, in the steps the send path interleaves with its own work. Any Django email backend
    hands the mail over in `transmit`; ours for SMTP (`hands_over_in_steps`, campaigns/smtp_backend.py) sends
    the envelope in `begin`, while the mail's mark is being saved, and reads the server's answer in
    `conclude`, after the next mail has been built."""

    def __init__(self, provider, email) -> None:
        self.provider, self.email = provider, email
        self.in_steps = getattr(provider, "hands_over_in_steps", False)
        self.refused: Exception | None = None  # what `begin` met: recorded once the mark is saved
        self.provider_message_id = ""

    def begin(self) -> None:
        if self.in_steps:
            try:
                self.provider.begin(self.email)
            except Exception as error:  # raised again by transmit, once the mark is saved
                self.refused = error

    def abort(self) -> None:
        """The mark was not saved (cancelled, or swept): nothing of this mail goes out."""
        if self.in_steps and self.refused is None:
            self.provider.abort()

    def transmit(self) -> None:
        if self.refused is not None:
            raise self.refused
        if self.in_steps:
            self.provider.transmit()
        else:
            self.provider_message_id = _hand_over(self.email)

    def conclude(self) -> str:
        """The provider's id for the mail (anymail) or our Message-ID (SMTP); raises what the provider answered."""
        if not self.in_steps:
            return self.provider_message_id
        self.provider.conclude()
        return self.email.extra_headers.get("Message-ID", "")


def _hand_over_each(
    campaign: Campaign,
    log: HandOverLog,
    messages: list[Message],
    throttle: SendThrottle,
    compiled: CompiledCampaign,
    envelope: Envelope,
    provider,
) -> SentMail | None:
    """Mark, render, hand over, one mail after the other; the last handed-over mail is returned unrecorded
    (each mail's "sent" travels with the next mail's mark).

    The mail is built while its mark is on its way to the database (OverlappedStatement), and handed over
    only once the mark is saved: a worker dying in between leaves this one mail `unknown`, as it would
    while handing it over. Through SMTP the next mail is built while the server reads this one (`_HandOver`),
    and marked only once the server has answered, so still at most one mail is between mark and outcome."""
    sent_unrecorded: SentMail | None = None
    statement = OverlappedStatement()
    due = _within_domain_rates(log.claim, messages, throttle)
    built_ahead: dict[int, tuple] = {}  # message id -> (the mail, None) or (None, why it cannot be built)
    try:
        next_status_check = time.monotonic() + STATUS_CHECK_SECONDS
        for position, message in enumerate(due):
            if time.monotonic() >= next_status_check:
                if not _still_sending(campaign.pk):
                    break  # paused or cancelled: the rest goes back to pending
                next_status_check = time.monotonic() + STATUS_CHECK_SECONDS
            log.marking = message
            _start_marking(statement, message, log.claim, sent_before=sent_unrecorded)
            email, unbuilt = built_ahead.pop(message.pk, None) or _built(compiled, envelope, message, provider)
            hand_over = _HandOver(provider, email) if unbuilt is None else None
            if hand_over is not None:
                hand_over.begin()
            marked = statement.wait() == 1
            log.marking, sent_unrecorded = None, None
            if not marked:
                if hand_over is not None:
                    hand_over.abort()
                continue  # cancelled, or taken over by the sweeper after a stall
            if hand_over is None:
                _fail_unbuilt(message, unbuilt)  # a mail that cannot be built would fail every retry as well
                continue
            try:
                hand_over.transmit()
                if hand_over.in_steps and position + 1 < len(due):
                    following = due[position + 1]
                    built_ahead = {following.pk: _built(compiled, envelope, following, provider)}
                provider_message_id = hand_over.conclude()
            except Exception as error:  # every provider error is recorded on the message
                problem = classify(error)
                log.failed.append((message, problem))
                _record_failure(message, problem)
                if problem.connection_lost:
                    release(log.claim, delay=retry_delay(1))
                    break
            else:
                sent_unrecorded = (message, provider_message_id, campaign.delivered_on_acceptance)
                log.sent.append(sent_unrecorded)
    finally:
        statement.abandon()  # only when leaving on an error: the log holds what the statement carried
    return sent_unrecorded


def _built(compiled: CompiledCampaign, envelope: Envelope, message: Message, provider):
    """(the mail, None), or (None, why it cannot be built): recorded on the message once its mark is saved."""
    try:
        return _built_email(compiled, envelope, message, provider), None
    except Exception as error:  # any error of the template or the message: the mail is failed with it
        return None, error


def finish_if_done(campaign_id: int) -> bool:
    """A sending campaign with every message in a final state is sent (compare-and-swap: once); True for
    the one call that finished it. That same update stores the outcome (messages per final status,
    Campaign.outcome_counts), so results never count a finished campaign's messages again.

    A cancelled campaign: the cancel skips what was waiting, but a message being handed over at that
    moment still ends sent or failed afterwards. Its outcome is stored by the first call that finds no
    message in flight (compare-and-swap on the empty outcome): the cancel itself when none was being
    handed over, else the worker's call after its batch. Until then the results count live.

    Once no message is in flight, none can be again (final states never change), so the count taken
    after that check is the final one, whichever caller stores it.
    """
    unfinished = Message.objects.filter(campaign_id=campaign_id, status__in=IN_FLIGHT_STATUSES)
    if unfinished.exists():  # the common answer while sending: one query, as cheap as before
        return False
    state = Campaign.objects.filter(pk=campaign_id).values_list("status", "outcome_counts").first()
    if state is None:
        return False
    status, stored_outcome = state
    if status != CampaignStatus.SENDING and not (status == CampaignStatus.CANCELLED and not stored_outcome):
        return False  # paused, or ended and counted already: nothing to count
    outcome = final_outcome_counts(campaign_id)
    if status == CampaignStatus.CANCELLED:
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.CANCELLED, outcome_counts={}).update(
            outcome_counts=outcome
        )
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, finished_at=_now(), outcome_counts=outcome
        )
    )


def uncounted_cancelled_ids() -> list[int]:
    """Cancelled campaigns whose outcome is not stored yet (a mail was in flight at the cancel)."""
    cancelled = Campaign.objects.filter(status=CampaignStatus.CANCELLED, outcome_counts={})
    return list(cancelled.values_list("id", flat=True))


def sweep_stalled(now=None) -> dict[str, int]:
    """Claims of dead workers go back to pending; hand-overs they left become unknown (never re-sent).

    A claim older than the database's last start is different: the batch's writes that skipped the WAL
    flush may have been lost in a crash, so a mail of it that looks untouched may have been handed over.
    Its worker would have written them again had it lived; since it did not, such mails become unknown.
    """
    now = now or _now()
    stale_claims = Message.objects.filter(
        status=MessageStatus.CLAIMED, claimed_at__lt=now - timedelta(seconds=settings.SENDING_CLAIM_TIMEOUT)
    )
    unknown = 0
    database_started_at = _database_started_at()
    if database_started_at is not None:
        unknown += stale_claims.filter(claimed_at__lt=database_started_at).update(
            status=MessageStatus.UNKNOWN,
            claim="",
            error="the database restarted while this mail's batch was being sent and its worker stopped; "
            "it may or may not have been delivered",
        )
    released = stale_claims.update(status=MessageStatus.PENDING, claim="", claimed_at=None)
    unknown += Message.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=now - timedelta(seconds=settings.SENDING_HANDOVER_TIMEOUT)
    ).update(
        status=MessageStatus.UNKNOWN,
        claim="",
        error="the worker stopped while handing this mail to the provider; it may or may not have been delivered",
    )
    return {"released": released, "unknown": unknown}


def _database_started_at():
    if connection.vendor != "postgresql":
        return None  # SQLite writes every commit through: nothing of a claim can be lost
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


def stalled_campaign_ids(now=None) -> list[int]:
    """Sending campaigns with due work and no batch for a while: their task chain was lost."""
    now = now or _now()
    quiet_since = now - timedelta(seconds=settings.SENDING_STALL_SECONDS)
    campaigns = Campaign.objects.filter(status=CampaignStatus.SENDING).filter(
        Q(last_batch_at__isnull=True) | Q(last_batch_at__lt=quiet_since)
    )
    return list(campaigns.values_list("id", flat=True))
