"""A campaign for a sending drill, the wait for it to end, and the counts that judge it.

The drill process itself reads the database while PostgreSQL is being restarted: every read goes
through `while_database_answers`, which waits out the outage instead of failing the drill.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

from accounts.models import Tenant, User
from campaigns import services
from campaigns.models import FINAL_MESSAGE_STATUSES, Campaign, CampaignStatus, Message, MessageStatus
from leads.models import Lead, LeadList
from tests.campaign_world import make_campaign, make_ready_to_send
from tests.faults.catcher import CountingFaultyHandler, FaultPlan

T = TypeVar("T")
OUTAGE_TIMEOUT = 120.0  # seconds the drill waits for the database to answer again
FINISH_TIMEOUT = float(os.environ.get("FAULTS_FINISH_TIMEOUT", "600"))  # seconds a campaign may take
UNANSWERED_FATES = ("lost_reply", "hang")  # the provider's answer to the end of DATA never came
COMPANIES = 97  # recipient domains: B2B lists have many leads per company


def while_database_answers(read: Callable[[], T], timeout: float = OUTAGE_TIMEOUT) -> T:
    """`read()`, retried on a fresh connection while the database is down or restarting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return read()
        except (OperationalError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def sending_campaign(label: str, recipients: int, rate_per_second: int) -> Campaign:
    """A tenant (its send rate `rate_per_second`) with `recipients` leads, a list of all and a draft.

    Addresses are `<label>-<n>@c<k>.example.jp`, lower case, so the catcher's counts are per drill."""
    tenant = Tenant.objects.create(name=f"障害訓練 {label}", has_mail_plan=True, send_rate_per_second=rate_per_second)
    make_ready_to_send(tenant)
    owner = User.objects.create_user(email=f"rep.{label}@faults.example", tenant=tenant, password=None)
    leads = []
    for number in range(recipients):
        email = f"{label}-{number}@c{number % COMPANIES}.example.jp"
        leads.append(
            Lead(
                tenant=tenant,
                company_name=f"株式会社訓練{number % COMPANIES}",
                last_name="山田",
                first_name=f"太郎{number}",
                email=email,
                email_normalized=email,
            )
        )
    Lead.objects.bulk_create(leads, batch_size=5000)
    lead_list = LeadList.objects.create(tenant=tenant, name="全員", filter={"all": []})
    return make_campaign(tenant, owner, lead_list=lead_list, name=f"訓練 {label}")


def start(campaign: Campaign) -> float:
    """Send now (the start task is queued at once: no transaction is open); the monotonic start time."""
    services.request_send(campaign)
    return time.monotonic()


def campaign_status(campaign_id: int) -> str:
    return while_database_answers(lambda: Campaign.objects.values_list("status", flat=True).get(pk=campaign_id))


def wait_until_sent(campaign_id: int, timeout: float = FINISH_TIMEOUT) -> bool:
    """True once the campaign is `sent`; False if it is not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = campaign_status(campaign_id)
        if status == CampaignStatus.SENT:
            return True
        if status not in (CampaignStatus.QUEUED, CampaignStatus.SENDING):
            return False
        time.sleep(0.25)
    return False


def wait_for_mails(handler: CountingFaultyHandler, count: int, timeout: float = FINISH_TIMEOUT) -> int:
    """Until the catcher has accepted `count` mails (any drill's); the count it reached."""
    deadline = time.monotonic() + timeout
    while (accepted := handler.total_accepted()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return accepted


def outcome(campaign_id: int, handler: CountingFaultyHandler, plan: FaultPlan) -> dict:
    """The campaign's messages against what the catcher accepted (and what the fault plan says).

    duplicates: addresses accepted more than once. lost: messages recorded `sent` that the catcher never
    accepted, plus recipients with no final state. mismatched: accepted but recorded failed or skipped,
    or failing the plan's way (a permanent address not failed with the 550 reason, a transient one not sent).
    """
    rows = while_database_answers(
        lambda: list(Message.objects.filter(campaign_id=campaign_id).values_list("email", "status", "error"))
    )
    accepted, _refused = handler.snapshot()
    statuses = Counter(status for _email, status, _error in rows)
    addresses = {email for email, _status, _error in rows}
    duplicates = {email: count for email, count in accepted.items() if count > 1 and email in addresses}
    unfinished = [email for email, status, _error in rows if status not in FINAL_MESSAGE_STATUSES]
    sent_not_caught = [email for email, status, _error in rows if status == MessageStatus.SENT and not accepted[email]]
    caught_not_sent = [
        email for email, status, _error in rows if accepted[email] and status not in (MessageStatus.SENT, "unknown")
    ]
    unknown = [email for email, status, _error in rows if status == MessageStatus.UNKNOWN]
    fates = {email: plan.fate(email) for email in addresses}
    wrong_fate = [email for email, status, error in rows if not _as_planned(fates[email], status, error)]
    return {
        **_planned(fates, rows),
        "messages": len(rows),
        "statuses": dict(sorted(statuses.items())),
        "caught": sum(accepted[email] for email in addresses),
        "duplicates": sum(count - 1 for count in duplicates.values()),
        "duplicate_addresses": sorted(duplicates)[:10],
        "lost": len(sent_not_caught) + len(unfinished),
        "lost_addresses": sorted(sent_not_caught + unfinished)[:10],
        "mismatched": len(caught_not_sent) + len(wrong_fate),
        "mismatched_addresses": sorted(caught_not_sent + wrong_fate)[:10],
        "unknown": len(unknown),
        "unknown_caught": sum(1 for email in unknown if accepted[email]),
        "unknown_beyond_plan": sum(1 for email in unknown if fates[email] not in UNANSWERED_FATES),
    }


def _planned(fates: dict[str, str], rows: list[tuple[str, str, str]]) -> dict:
    """For a fault plan: how many addresses it fails each way, and how those ended."""
    planned = Counter(fate for fate in fates.values() if fate != "ok")
    if not planned:
        return {}
    lost_reply = Counter(status for email, status, _error in rows if fates[email] == "lost_reply")
    transient = [status for email, status, _error in rows if fates[email].startswith("transient")]
    permanent = [(status, error) for email, status, error in rows if fates[email] == "permanent"]
    return {
        "planned": dict(sorted(planned.items())),
        "transient_sent": sum(1 for status in transient if status == MessageStatus.SENT),
        "permanent_failed_with_reason": sum(
            1 for status, error in permanent if status == MessageStatus.FAILED and "550" in error
        ),
        "permanent_reason_example": next((error for _status, error in permanent), ""),
        **({"lost_reply_statuses": dict(sorted(lost_reply.items()))} if lost_reply else {}),
    }


def _as_planned(fate: str, status: str, error: str) -> bool:
    if fate in UNANSWERED_FATES:  # the sender cannot know whether the mail was taken: sent or unknown, never retried
        return status in (MessageStatus.SENT, MessageStatus.UNKNOWN)
    if status == MessageStatus.UNKNOWN:
        return fate != "permanent"  # a crash may leave any mail unknown, but a 550 is answered before
    if fate == "permanent":
        return status == MessageStatus.FAILED and "550" in error
    return status == MessageStatus.SENT


def problems(counts: dict, *, finished: bool, max_unknown: int) -> list[str]:
    """What breaks the drill's promises; [] when it passed."""
    found = []
    if not finished:
        found.append("the campaign did not finish")
    if counts["duplicates"]:
        found.append(f"{counts['duplicates']} duplicate mails")
    if counts["lost"]:
        found.append(f"{counts['lost']} recipients lost (sent but never caught, or not in a final state)")
    if counts["mismatched"]:
        found.append(f"{counts['mismatched']} recipients whose final state disagrees with the catcher or the plan")
    if counts["unknown_beyond_plan"] > max_unknown:
        found.append(f"{counts['unknown_beyond_plan']} unknown, more than the {max_unknown} the faults allow")
    return found
