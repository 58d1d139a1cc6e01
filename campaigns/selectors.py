"""Reads of campaigns: who sees which, who a campaign's list will reach after exclusions (S1), and what
became of the mail (D1, D2).

Results never scan a finished campaign's messages or events: the outcome per status is counted once
when the campaign ends (Campaign.outcome_counts) and what recipients and providers did is summed from
tracking's counters (CampaignActivity, LinkActivity), a few rows per hour of activity.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from campaigns.models import FINAL_MESSAGE_STATUSES, Campaign, CampaignStatus, Message, MessageStatus
from leads.filters import FilterError
from leads.models import Lead, LeadList, Suppression
from leads.selectors import resolve_list
from tracking.models import CampaignActivity, LinkActivity

# A deliverable address after normalisation; anything else is excluded as invalid (S1).
DELIVERABLE_ADDRESS = r"^[^@\s\"(),:;<>\[\]\\]+@[^@\s.\"(),:;<>\[\]\\]+(\.[^@\s.\"(),:;<>\[\]\\]+)+$"
EXCLUSION_REASONS = ("suppressed", "info", "invalid", "duplicate")


def campaigns_for_index(user: User, *, status: str = "") -> QuerySet[Campaign]:
    campaigns = Campaign.objects.visible_to(user).select_related("owner", "lead_list")
    return campaigns.filter(status=status) if status else campaigns


def deliverable_q() -> Q:
    return Q(email_normalized__regex=DELIVERABLE_ADDRESS)


def info_address_q() -> Q:
    return Q(email_normalized__startswith="info@")


def suppressed_q(tenant_id: int) -> Q:
    # IN over the tenant's list, not a correlated EXISTS: PostgreSQL hashes the list once and probes it per lead
    return Q(email_normalized__in=Suppression.objects.filter(tenant_id=tenant_id).values("email_normalized"))


def classified_leads(lead_list: LeadList) -> QuerySet[Lead]:
    """The list's leads, unordered; filter with sendable_q(). The sender's snapshot and the counts share both."""
    return resolve_list(lead_list).order_by()


def sendable_q(tenant_id: int) -> Q:
    """Leads that get a mail (before collapsing shared addresses): deliverable, not suppressed, not info@."""
    return deliverable_q() & ~suppressed_q(tenant_id) & ~info_address_q()


@dataclass(frozen=True)
class RecipientBreakdown:
    leads: int = 0
    recipients: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


# Each lead is classified once (one regular expression, one probe of the hashed suppression list) in the
# inner query; OFFSET 0 keeps PostgreSQL from pulling it up and repeating both in every count's filter
# (SQLite, in the embedded mode, has no OFFSET without LIMIT and small lists: it goes without).
_EXCLUSION_COUNTS_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE NOT deliverable),
       count(*) FILTER (WHERE deliverable AND suppressed),
       count(*) FILTER (WHERE deliverable AND NOT suppressed AND info),
       count(*) FILTER (WHERE deliverable AND NOT suppressed AND NOT info),
       {recipients}
FROM ({classified}{fence}) AS classified
"""
_COUNTED = ("leads", "invalid", "suppressed", "info", "sendable", "recipients")


def leads_with_exclusion_reasons(lead_list: LeadList) -> QuerySet[Lead]:
    """The list's leads, each with the booleans the exclusion counts read: deliverable, suppressed, info."""
    return classified_leads(lead_list).annotate(
        deliverable=ExpressionWrapper(deliverable_q(), output_field=BooleanField()),
        suppressed=ExpressionWrapper(suppressed_q(lead_list.tenant_id), output_field=BooleanField()),
        info=ExpressionWrapper(info_address_q(), output_field=BooleanField()),
    )


def exclusion_counts_sql(classified_sql: str, recipients_sql: str) -> str:
    """The one SELECT of every count, over the rows of `classified_sql` (a SELECT of leads_with_exclusion_reasons'
    columns); `recipients_sql` is the last column."""
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    return _EXCLUSION_COUNTS_SQL.format(recipients=recipients_sql, classified=classified_sql, fence=fence)


def counts_by_name(row) -> dict[str, int]:
    """A row of exclusion_counts_sql as {"leads": .., "invalid": .., ..., "recipients": ..}."""
    return dict(zip(_COUNTED, row, strict=True))


def _exclusion_counts(lead_list: LeadList, *, distinct_recipients: bool) -> dict[str, int]:
    classified = leads_with_exclusion_reasons(lead_list)
    classified_sql, params = classified.values(
        "email_normalized", "deliverable", "suppressed", "info"
    ).query.sql_with_params()
    recipients = (
        "count(DISTINCT email_normalized) FILTER (WHERE deliverable AND NOT suppressed AND NOT info)"
        if distinct_recipients
        else "NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(exclusion_counts_sql(classified_sql, recipients), params)
        counts = counts_by_name(cursor.fetchone())
    if not distinct_recipients:
        del counts["recipients"]
    return counts


def exclusion_counts(lead_list: LeadList) -> dict[str, int]:
    """leads / invalid / suppressed / info / sendable of a list, one query, without the costly distinct count
    (the snapshot learns the number of distinct addresses from the rows it writes)."""
    return _exclusion_counts(lead_list, distinct_recipients=False)


def recipient_breakdown(lead_list: LeadList | None) -> RecipientBreakdown:
    """How many the list reaches now and why the others are left out, in one query.

    Each lead is counted under one reason, in this order: invalid, suppressed, info@, duplicate
    (a second lead with an address already counted).
    """
    if lead_list is None:
        return RecipientBreakdown()
    try:
        counts = _exclusion_counts(lead_list, distinct_recipients=True)
    except FilterError as error:
        return RecipientBreakdown(error=error.message)
    excluded = {
        "suppressed": counts["suppressed"],
        "info": counts["info"],
        "invalid": counts["invalid"],
        "duplicate": counts["sendable"] - counts["recipients"],
    }
    return RecipientBreakdown(leads=counts["leads"], recipients=counts["recipients"], excluded=excluded)


def first_recipient(lead_list: LeadList | None) -> Lead | None:
    """The lead the confirm screen renders the mail for: the first one that will really get it."""
    if lead_list is None:
        return None
    try:
        sendable = sendable_q(lead_list.tenant_id)
        return classified_leads(lead_list).filter(sendable).order_by("-created_at", "-id").first()
    except FilterError:
        return None


@dataclass(frozen=True)
class SendingProgress:
    total: int
    sent: int
    failed: int
    skipped: int
    unknown: int
    remaining: int
    eta_seconds: int | None

    @property
    def done(self) -> int:
        return self.total - self.remaining

    @property
    def eta_minutes(self) -> int | None:
        return None if self.eta_seconds is None else max(1, -(-self.eta_seconds // 60))

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


IN_FLIGHT_STATUSES = (MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.SENDING)


def message_status_counts(campaign_id: int) -> dict[str, int]:
    """The campaign's messages per status, counted now (one grouped count over its status index)."""
    rows = Message.objects.filter(campaign_id=campaign_id).values_list("status").annotate(n=Count("id")).order_by()
    return dict(rows)


def final_outcome_counts(campaign_id: int) -> dict[str, int]:
    """Messages per final status, every final status named (zeros too): what Campaign.outcome_counts stores."""
    counts = message_status_counts(campaign_id)
    return {status.value: counts.get(status, 0) for status in FINAL_MESSAGE_STATUSES}


def _progress(campaign: Campaign, by_status: dict[str, int]) -> SendingProgress:
    total = sum(by_status.values())
    in_flight = sum(by_status.get(status, 0) for status in IN_FLIGHT_STATUSES)
    done = total - in_flight
    eta = None
    if campaign.started_at and done and in_flight and campaign.status == CampaignStatus.SENDING:
        elapsed = (timezone.now() - campaign.started_at).total_seconds()
        eta = int(in_flight * elapsed / done)
    return SendingProgress(
        total=total,
        sent=by_status.get(MessageStatus.SENT, 0),
        failed=by_status.get(MessageStatus.FAILED, 0),
        skipped=by_status.get(MessageStatus.SKIPPED, 0),
        unknown=by_status.get(MessageStatus.UNKNOWN, 0),
        remaining=in_flight,
        eta_seconds=eta,
    )


def sending_progress(campaign: Campaign) -> SendingProgress:
    """Where a campaign's messages stand, in one grouped count, and when the rest should be out."""
    return _progress(campaign, message_status_counts(campaign.pk))


def campaign_progress(campaign: Campaign, figures: CampaignFigures | None = None) -> SendingProgress:
    """sending_progress without a count of its own: from figures already read (they counted the messages),
    or from the outcome stored at the end; counted now only when neither is there."""
    if figures is not None:
        by_status = {
            MessageStatus.SENT: figures.sent,
            MessageStatus.FAILED: figures.send_failed,
            MessageStatus.SKIPPED: figures.skipped,
            MessageStatus.UNKNOWN: figures.unknown,
            MessageStatus.PENDING: figures.in_flight,
        }
        return _progress(campaign, by_status)
    if campaign.outcome_counts:
        return _progress(campaign, campaign.outcome_counts)
    return sending_progress(campaign)


def campaign_messages(campaign: Campaign, *, status: str = "") -> QuerySet[Message]:
    messages = Message.objects.filter(campaign=campaign).select_related("lead").order_by("id")
    return messages.filter(status=status) if status else messages


# Results (D1, D2)

# campaigns whose mail went (or is going) out: they have figures; drafts and schedules do not
RESULT_STATUSES = (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.SENT, CampaignStatus.CANCELLED)
ACTIVITY_FIELDS = (
    "delivered",
    "opened",
    "clicked",
    "machine_opened",
    "machine_clicked",
    "unsubscribed",
    "bounced",
    "complained",
)
HOURLY_POINTS_AT_MOST = 7 * 24  # a longer timeline is drawn per day


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Rates:
    """Shares as fractions (0.25 is 25 %); None where the denominator is 0.

    delivered: delivered / sent. opened, clicked, unsubscribed: of the delivered mail (a mail that did
    not arrive cannot be opened); unique recipients, people only (machine activity is left out). With a
    provider whose delivery reports lag behind the opens, a share of delivered can pass 1 for a while.
    """

    delivered: float | None
    opened: float | None
    clicked: float | None
    unsubscribed: float | None

    @property
    def percent(self) -> Rates:
        """The same shares in percent, rounded to one decimal (25.0), as the screens show them."""

        def scaled(value: float | None) -> float | None:
            return None if value is None else round(value * 100, 1)

        return Rates(scaled(self.delivered), scaled(self.opened), scaled(self.clicked), scaled(self.unsubscribed))


@dataclass(frozen=True, kw_only=True)
class CampaignFigures:
    """What became of a campaign's mail (D1). Opens and clicks count recipients once (unique), people only;
    machines (privacy proxies, security scanners: K5) are counted apart.

    sent: handed over to the provider (or SMTP server). delivered: reported delivered by the provider;
    with SMTP, the server's acceptance is the delivery, so delivered == sent. failed: refused when handed
    over (send_failed) plus bounced or rejected afterwards (bounced). final: the outcome was counted once
    when the campaign ended; otherwise the messages were counted now (sending, or mail still in flight).
    """

    campaign_id: int
    recipients: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    send_failed: int
    bounced: int
    complained: int
    machine_opened: int
    machine_clicked: int
    skipped: int
    unknown: int
    in_flight: int
    excluded: dict[str, int]
    final: bool

    @property
    def failed(self) -> int:
        return self.send_failed + self.bounced

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    @property
    def rates(self) -> Rates:
        return Rates(
            delivered=_ratio(self.delivered, self.sent),
            opened=_ratio(self.opened, self.delivered),
            clicked=_ratio(self.clicked, self.delivered),
            unsubscribed=_ratio(self.unsubscribed, self.delivered),
        )


@dataclass(frozen=True)
class LinkFigures:
    """Human clicks on link n of the campaign: every click, and the recipients who clicked it."""

    number: int
    url: str
    clicks: int
    unique_clicks: int


@dataclass(frozen=True)
class ActivityPoint:
    """Opens and clicks (people, first time per recipient) in the hour or day starting at `start` (Asia/Tokyo)."""

    start: datetime
    opened: int
    clicked: int


@dataclass(frozen=True, kw_only=True)
class CampaignStats(CampaignFigures):
    """The dashboard's figures (D2): CampaignFigures plus clicks per link and opens and clicks over time."""

    links: tuple[LinkFigures, ...]
    timeline: tuple[ActivityPoint, ...]
    timeline_step: str  # "hour" or "day"


def _excluded(campaign: Campaign) -> dict[str, int]:
    stored = campaign.exclusions or {}
    return {reason: int(stored.get(reason, 0)) for reason in EXCLUSION_REASONS}


def _outcomes_now(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Messages per campaign and status, counted now, in one grouped query."""
    outcomes: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in campaign_ids}
    if not campaign_ids:
        return outcomes
    rows = (
        Message.objects.filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for campaign_id, status, count in rows:
        outcomes[campaign_id][status] = count
    return outcomes


def _outcomes(campaigns: list[Campaign]) -> dict[int, dict[str, int]]:
    """Messages per status of each campaign: stored at the end when it was (no query), else counted now.

    A campaign counts live while it sends or pauses, and after a cancel until the mail that was being
    handed over at that moment has ended (campaigns.delivery.finish_if_done stores it then).
    """
    live = [campaign.pk for campaign in campaigns if not campaign.outcome_counts]
    outcomes = _outcomes_now(live)
    outcomes.update({campaign.pk: campaign.outcome_counts for campaign in campaigns if campaign.outcome_counts})
    return outcomes


def _figures(campaign: Campaign, by_status: dict[str, int], activity: dict[str, int]) -> dict:
    """CampaignFigures' fields, from the messages per status and the summed activity counters."""
    sent = by_status.get(MessageStatus.SENT, 0)
    return {
        "campaign_id": campaign.pk,
        "recipients": campaign.recipients_total or sum(by_status.values()),
        "sent": sent,
        "delivered": sent if campaign.delivered_on_acceptance else activity.get("delivered") or 0,
        "opened": activity.get("opened") or 0,
        "clicked": activity.get("clicked") or 0,
        "unsubscribed": activity.get("unsubscribed") or 0,
        "send_failed": by_status.get(MessageStatus.FAILED, 0),
        "bounced": activity.get("bounced") or 0,
        "complained": activity.get("complained") or 0,
        "machine_opened": activity.get("machine_opened") or 0,
        "machine_clicked": activity.get("machine_clicked") or 0,
        "skipped": by_status.get(MessageStatus.SKIPPED, 0),
        "unknown": by_status.get(MessageStatus.UNKNOWN, 0),
        "in_flight": sum(by_status.get(status, 0) for status in IN_FLIGHT_STATUSES),
        "excluded": _excluded(campaign),
        "final": bool(campaign.outcome_counts),
    }


def campaign_figures(campaigns: Iterable[Campaign]) -> dict[int, CampaignFigures]:
    """Figures of many campaigns (a page of the index, D1) by campaign id, in two queries whatever their
    number: the activity counters summed per campaign, and one grouped count of the messages of those
    still counted live (none when every campaign has its stored outcome). Drafts and schedules get none."""
    with_results = [campaign for campaign in campaigns if campaign.status in RESULT_STATUSES]
    if not with_results:
        return {}
    ids = [campaign.pk for campaign in with_results]
    sums = {name: Sum(name) for name in ACTIVITY_FIELDS}
    activity = {
        row.pop("campaign_id"): row
        for row in CampaignActivity.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(**sums)
        .order_by()
    }
    outcomes = _outcomes(with_results)
    return {
        campaign.pk: CampaignFigures(**_figures(campaign, outcomes[campaign.pk], activity.get(campaign.pk, {})))
        for campaign in with_results
    }


def _local_hour(hour: datetime) -> datetime:
    return timezone.localtime(hour, ZoneInfo(settings.TIME_ZONE)).replace(minute=0, second=0, microsecond=0)


def _timeline(
    hourly: list[tuple[datetime, int, int]], started_at: datetime | None
) -> tuple[tuple[ActivityPoint, ...], str]:
    """Opens and clicks per hour (Asia/Tokyo), gaps filled with zeros, from the start of sending to the last
    activity; per day when that is more than HOURLY_POINTS_AT_MOST hours."""
    if not hourly:
        return (), "hour"
    by_hour: dict[datetime, tuple[int, int]] = {}
    for hour, opened, clicked in hourly:
        local = _local_hour(hour)
        earlier_opened, earlier_clicked = by_hour.get(local, (0, 0))
        by_hour[local] = (earlier_opened + opened, earlier_clicked + clicked)
    first, last = min(by_hour), max(by_hour)
    if started_at is not None:
        first = min(first, _local_hour(started_at))
    hours = int((last - first).total_seconds() // 3600) + 1
    if hours <= HOURLY_POINTS_AT_MOST:
        starts = [first + timedelta(hours=n) for n in range(hours)]
        return tuple(ActivityPoint(start, *by_hour.get(start, (0, 0))) for start in starts), "hour"
    by_day: dict[datetime, list[int]] = {}
    for local, (opened, clicked) in by_hour.items():
        day = by_day.setdefault(local.replace(hour=0), [0, 0])
        day[0] += opened
        day[1] += clicked
    first_day, days = first.replace(hour=0), (last.date() - first.date()).days + 1
    starts = [(first_day + timedelta(days=n)).replace(hour=0) for n in range(days)]
    return tuple(ActivityPoint(start, *by_day.get(start, (0, 0))) for start in starts), "day"


def _links(campaign: Campaign) -> tuple[LinkFigures, ...]:
    """Every link of the campaign (1-based, as in the mail), clicked or not; the hidden honeypot link
    (number 0, machines only) is not one of them."""
    rows = (
        LinkActivity.objects.filter(campaign=campaign, link_number__gte=1)
        .values_list("link_number")
        .annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"))
        .order_by()
    )
    counts = {number: (clicks, unique_clicks) for number, clicks, unique_clicks in rows}
    urls = list(campaign.link_urls or [])
    return tuple(LinkFigures(number, url, *counts.get(number, (0, 0))) for number, url in enumerate(urls, start=1))


def campaign_stats(campaign: Campaign) -> CampaignStats:
    """The dashboard's figures of one campaign (D2) in two queries once it has ended (the activity per
    hour, summed for the totals and drawn as the timeline, and the clicks per link), three while it is
    counted live (the messages per status as well)."""
    sums = {name: Sum(name) for name in ACTIVITY_FIELDS}
    hourly = list(CampaignActivity.objects.filter(campaign=campaign).values("hour").annotate(**sums).order_by("hour"))
    activity = {name: sum(row[name] or 0 for row in hourly) for name in ACTIVITY_FIELDS}
    by_status = _outcomes([campaign])[campaign.pk]
    timeline, step = _timeline(
        [(row["hour"], row["opened"] or 0, row["clicked"] or 0) for row in hourly], campaign.started_at
    )
    return CampaignStats(
        **_figures(campaign, by_status, activity),
        links=_links(campaign),
        timeline=timeline,
        timeline_step=step,
    )


@dataclass(frozen=True)
class RecipientOutcome:
    """One recipient's row of the results CSV (D2); times are aware datetimes (None: did not happen)."""

    email: str
    company_name: str
    last_name: str
    first_name: str
    status: str
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    complained_at: datetime | None
    error: str

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name) if part)


OUTCOME_EXPORT_CHUNK = 2000


def recipient_outcomes(campaign: Campaign) -> Iterator[RecipientOutcome]:
    """Every recipient of the campaign with what became of the mail, in message order, streamed in chunks
    (a server-side cursor on PostgreSQL: a million recipients never sit in memory). The lead's company
    and name as they are now; an address whose lead was deleted keeps its row with them empty."""
    rows = (
        Message.objects.filter(campaign=campaign)
        .order_by("id")
        .values_list(
            "email",
            "lead__company_name",
            "lead__last_name",
            "lead__first_name",
            "status",
            "sent_at",
            "delivered_at",
            "opened_at",
            "clicked_at",
            "unsubscribed_at",
            "bounced_at",
            "complained_at",
            "error",
        )
    )
    for email, company, last, first, *rest in rows.iterator(chunk_size=OUTCOME_EXPORT_CHUNK):
        yield RecipientOutcome(email, company or "", last or "", first or "", *rest)
