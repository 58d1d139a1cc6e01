"""A finished campaign's messages, tracked events and result counters, generated in set-based SQL.

For the scale data (leads.scale_data) and the dashboard benchmark: a million messages and three million
events load in about a minute (INSERT ... SELECT generate_series), and what they hold is what the real
write paths would have left behind:
- messages: one per recipient, statuses as a campaign ends with them (99.05 % sent, 0.5 % failed,
  0.25 % skipped, 0.2 % unknown), sent evenly over 30 minutes;
- events (tracking.models.Event) on the sent messages: one provider event per message in turn
  (1 % bounced), opens on 40 % of the recipients (15 % of them by machines), an unsubscribe from every
  200th and a complaint from every 2000th recipient, and clicks on 12 % (10 % on the honeypot link);
- derive_tracking: the first-time timestamps on the messages, CampaignActivity and LinkActivity
  counted from them the way tracking.result_writes keeps them, and the suppressions that unsubscribes,
  hard bounces and complaints add (tracking.services);
- Campaign.outcome_counts as delivery.finish_if_done stores it (finish).
Deterministic: the same sizes give the same rows.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import QuerySet

from campaigns import selectors
from campaigns.models import Campaign, CampaignStatus, Message
from leads.models import Lead, Suppression
from tracking.models import COUNTER_SHARDS, CampaignActivity, Event, LinkActivity

PROVIDER_SHARE = 1 / 3  # of the events: delivered and bounced reports, then complaints
OPEN_SHARE = 0.4  # opens and unsubscribes; the rest are clicks
OPENER_SHARE = 0.4  # opens land on 40 % of the sent messages, clicks on 12 % (each a few times)
CLICKER_SHARE = 0.12
UNSUBSCRIBE_EVERY = 200  # every 200th recipient (by position among the sent) unsubscribes
COMPLAINT_EVERY = 2000
SENDING_TIME = timedelta(minutes=30)

MESSAGE_TABLE = Message._meta.db_table
EVENT_TABLE = Event._meta.db_table
ACTIVITY_TABLE = CampaignActivity._meta.db_table
LINK_TABLE = LinkActivity._meta.db_table
SUPPRESSION_TABLE = Suppression._meta.db_table


def _execute(sql: str, params: list | dict | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def load_messages(campaign: Campaign, count: int, recipients: QuerySet[Lead] | None = None) -> None:
    """`count` messages sent evenly over SENDING_TIME from the start; statuses by the message's number n.

    With `recipients` (leads, one per address, in the order they are numbered), message n is to the
    n-th of them; numbers past their end, or all without them, go to addresses of leads deleted since
    (lead NULL, as a deleted lead's message is kept)."""
    if recipients is not None:
        lead_sql, lead_params = recipients.values_list("id", "email", "email_normalized").query.sql_with_params()
        # Django-compiled SQL; its values stay parameters
        numbered = f"SELECT row_number() OVER () AS n, l.* FROM ({lead_sql} LIMIT %s) AS l(id, email, normalized)"  # noqa: S608
        lead_params = (*lead_params, count)
    else:
        numbered, lead_params = "SELECT 0::bigint AS n, 0 AS id, '' AS email, '' AS normalized WHERE false", ()
    fallback = "'person' || g.n || '@kaisha' || (g.n %% 500) || '.example'"
    _execute(
        f"""
        WITH r AS ({numbered})
        INSERT INTO {MESSAGE_TABLE} (tenant_id, campaign_id, lead_id, email, email_normalized, token, status,
            attempts, claim, provider_message_id, error, created_at, sent_at)
        SELECT %s, %s, r.id, COALESCE(r.email, {fallback}), COALESCE(r.normalized, {fallback}),
            md5(%s || ':' || g.n), s.status, 1, '',
            CASE WHEN s.status = 'sent' THEN 'esp-' || %s || '-' || g.n ELSE '' END,
            CASE s.status WHEN 'failed' THEN '550 5.1.1 No such user here'
                WHEN 'skipped' THEN 'suppressed after the recipients were fixed'
                WHEN 'unknown' THEN 'the worker stopped while handing this mail to the provider' ELSE '' END,
            %s, CASE WHEN s.status IN ('sent', 'unknown') THEN %s + g.n * %s / %s END
        FROM generate_series(1, %s) AS g(n) LEFT JOIN r ON r.n = g.n,
        LATERAL (SELECT CASE WHEN g.n %% 200 = 0 THEN 'failed' WHEN g.n %% 400 = 1 THEN 'skipped'
                             WHEN g.n %% 500 = 3 THEN 'unknown' ELSE 'sent' END AS status) AS s
        """,  # noqa: S608
        (
            *lead_params,
            campaign.tenant_id,
            campaign.pk,
            str(campaign.pk),
            str(campaign.pk),
            campaign.started_at,
            campaign.started_at,
            SENDING_TIME,
            count,
            count,
        ),
    )


def load_events(campaign: Campaign, events: int) -> None:
    """Provider events, opens, unsubscribes, complaints and clicks on the campaign's sent messages, spread over
    14 days (the square of a uniform number: most in the first hours). Numbers e pick the kind and the message
    (k, its position among the sent): one provider event per message in turn, opens among the first
    OPENER_SHARE of them and clicks among the first CLICKER_SHARE (a multiplicative hash, so one recipient
    opens or clicks several times, at different times); every UNSUBSCRIBE_EVERY-th opener unsubscribes once
    and every COMPLAINT_EVERY-th recipient complains once (taken from the provider and open numbers)."""
    sent = Message.objects.filter(campaign=campaign, status="sent").count()
    if not sent or not events:
        return
    openers = max(1, round(sent * OPENER_SHARE))
    provider = round(events * PROVIDER_SHARE)
    opens = round(events * OPEN_SHARE)
    complaints = min(provider, -(-sent // COMPLAINT_EVERY))
    unsubscribes = min(opens, -(-openers // UNSUBSCRIBE_EVERY))
    # e in (0, delivery] delivered/bounced, (delivery, provider] complained, (provider, open_end] opened,
    # (open_end, opens_and_unsubscribes] unsubscribed, the rest clicked
    delivery = provider - complaints
    open_end = provider + opens - unsubscribes
    _execute(
        f"""
        WITH sent AS (
            SELECT id, sent_at, row_number() OVER (ORDER BY id) - 1 AS k
            FROM {MESSAGE_TABLE} WHERE campaign_id = %(campaign)s AND status = 'sent'
        ), numbered AS (
            SELECT e, kind, CASE kind
                    WHEN 'provider' THEN (e - 1) %% %(sent)s
                    WHEN 'complained' THEN (e - %(delivery)s - 1) * {COMPLAINT_EVERY}
                    WHEN 'opened' THEN (e * 7919::bigint) %% %(openers)s
                    WHEN 'unsubscribed' THEN (e - %(open_end)s - 1) * {UNSUBSCRIBE_EVERY}
                    ELSE (e * 7919::bigint) %% %(clickers)s END AS k,
                ((e * 104729::bigint) %% 100003) / 100003.0 AS r
            FROM generate_series(1, %(events)s) AS e,
            LATERAL (SELECT CASE WHEN e <= %(delivery)s THEN 'provider' WHEN e <= %(provider)s THEN 'complained'
                                 WHEN e <= %(open_end)s THEN 'opened'
                                 WHEN e <= %(provider)s + %(opens)s THEN 'unsubscribed'
                                 ELSE 'clicked' END AS kind) AS kinds
        )
        INSERT INTO {EVENT_TABLE} (tenant_id, campaign_id, message_id, kind, machine, machine_reason, link_number,
            detail, user_agent, ip, provider_event_id, occurred_at)
        SELECT %(tenant)s, %(campaign)s, sent.id,
            CASE WHEN kind = 'provider' THEN (CASE WHEN e %% 100 = 0 THEN 'bounced' ELSE 'delivered' END)
                 ELSE kind END,
            (kind = 'opened' AND e %% 20 < 3) OR (kind = 'clicked' AND e %% 10 = 0),
            CASE WHEN kind = 'opened' AND e %% 20 < 3 THEN 'privacy_proxy'
                 WHEN kind = 'clicked' AND e %% 10 = 0 THEN 'honeypot' ELSE '' END,
            CASE WHEN kind = 'clicked' THEN (CASE WHEN e %% 10 = 0 THEN 0 ELSE 1 + e %% 5 END) END,
            CASE WHEN kind = 'provider' AND e %% 100 = 0 THEN '550 5.1.1 The email account does not exist'
                 ELSE '' END,
            CASE WHEN kind IN ('opened', 'clicked', 'unsubscribed')
                 THEN 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0' ELSE '' END,
            NULL,
            CASE WHEN kind IN ('provider', 'complained') THEN 'esp:' || %(campaign)s || ':' || e ELSE '' END,
            sent.sent_at + CASE WHEN kind = 'provider' THEN interval '5 seconds'
                                WHEN kind = 'complained' THEN interval '1 hour' + r * interval '2 days'
                                ELSE interval '1 minute' + r * r * interval '14 days' END
        FROM numbered JOIN sent ON sent.k = numbered.k
        """,  # noqa: S608
        {
            "tenant": campaign.tenant_id,
            "campaign": campaign.pk,
            "events": events,
            "provider": provider,
            "delivery": delivery,
            "opens": opens,
            "open_end": open_end,
            "sent": sent,
            "openers": openers,
            "clickers": max(1, round(sent * CLICKER_SHARE)),
        },
    )


FIRST_TIMES = {  # Message field -> the events that set it first (tracking.services)
    "delivered_at": "kind = 'delivered'",
    "bounced_at": "kind IN ('bounced', 'rejected')",
    "opened_at": "kind IN ('opened', 'clicked') AND NOT machine",  # a click is an open too (K2)
    "clicked_at": "kind = 'clicked' AND NOT machine",
    "machine_opened_at": "kind = 'opened' AND machine",
    "machine_clicked_at": "kind = 'clicked' AND machine",
    "unsubscribed_at": "kind = 'unsubscribed'",
    "complained_at": "kind = 'complained'",
}


def derive_tracking(campaign: Campaign) -> None:
    """What tracking's services keep for these events: the first-time timestamps, the counters counted from
    them (per UTC hour and message shard), the link counters, and the suppressions they add."""
    sets = ", ".join(f"{name} = f.{name}" for name in FIRST_TIMES)
    firsts = ", ".join(f"min(occurred_at) FILTER (WHERE {where}) AS {name}" for name, where in FIRST_TIMES.items())
    _execute(
        f"UPDATE {MESSAGE_TABLE} AS m SET {sets} FROM (SELECT message_id, {firsts} FROM {EVENT_TABLE} "  # noqa: S608
        "WHERE campaign_id = %(campaign)s GROUP BY message_id) AS f WHERE m.id = f.message_id",
        {"campaign": campaign.pk},
    )
    counters = [name.removesuffix("_at") for name in FIRST_TIMES]
    per_counter = " UNION ALL ".join(
        f"SELECT date_trunc('hour', {name}_at) AS hour, id %% {COUNTER_SHARDS} AS shard, '{name}' AS counter "  # noqa: S608
        f"FROM {MESSAGE_TABLE} WHERE campaign_id = %(campaign)s AND {name}_at IS NOT NULL"
        for name in counters
    )
    sums = ", ".join(f"count(*) FILTER (WHERE counter = '{name}')" for name in counters)
    _execute(
        f"INSERT INTO {ACTIVITY_TABLE} (campaign_id, hour, shard, {', '.join(counters)}) "  # noqa: S608
        f"SELECT %(campaign)s, hour, shard, {sums} FROM ({per_counter}) AS f GROUP BY hour, shard",
        {"campaign": campaign.pk},
    )
    _execute(
        f"""
        INSERT INTO {LINK_TABLE} (campaign_id, link_number, shard, clicks, unique_clicks)
        SELECT %(campaign)s, link_number, message_id %% {COUNTER_SHARDS}, count(*), count(DISTINCT message_id)
        FROM {EVENT_TABLE}
        WHERE campaign_id = %(campaign)s AND kind = 'clicked' AND NOT machine
        GROUP BY link_number, message_id %% {COUNTER_SHARDS}
        """,  # noqa: S608
        {"campaign": campaign.pk},
    )
    # L5: an unsubscribe, a hard bounce or a complaint puts the address on the suppression list; the first wins
    _execute(
        f"""
        INSERT INTO {SUPPRESSION_TABLE} (tenant_id, email_normalized, reason, source, created_at)
        SELECT DISTINCT ON (email_normalized) %(tenant)s, email_normalized, reason, 'campaign:' || %(campaign)s, at
        FROM (
            SELECT email_normalized, 'unsubscribed' AS reason, unsubscribed_at AS at FROM {MESSAGE_TABLE}
            WHERE campaign_id = %(campaign)s AND unsubscribed_at IS NOT NULL
            UNION ALL SELECT email_normalized, 'hard_bounce', bounced_at FROM {MESSAGE_TABLE}
            WHERE campaign_id = %(campaign)s AND bounced_at IS NOT NULL
            UNION ALL SELECT email_normalized, 'complaint', complained_at FROM {MESSAGE_TABLE}
            WHERE campaign_id = %(campaign)s AND complained_at IS NOT NULL
        ) AS results
        ORDER BY email_normalized, at
        ON CONFLICT (tenant_id, email_normalized) DO NOTHING
        """,  # noqa: S608
        {"tenant": campaign.tenant_id, "campaign": campaign.pk},
    )


def finish(campaign: Campaign) -> None:
    """The end of sending as finish_if_done does it: the outcome counted once and stored."""
    outcome = selectors.final_outcome_counts(campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=campaign.started_at + SENDING_TIME, outcome_counts=outcome
    )
    campaign.refresh_from_db()


def load_sent_campaign(
    campaign: Campaign, *, messages: int, events: int, recipients: QuerySet[Lead] | None = None
) -> None:
    """Messages, events, what tracking derives from them, and the stored outcome: the campaign is sent."""
    load_messages(campaign, messages, recipients)
    _execute(f"ANALYZE {MESSAGE_TABLE}")  # fresh rows have no statistics: the plans below would be guesses
    load_events(campaign, events)
    _execute(f"ANALYZE {EVENT_TABLE}")
    derive_tracking(campaign)
    finish(campaign)


def delete_campaign_rows(campaign_ids: list[int]) -> None:
    """The campaigns' events, messages and counters, set-based (the ORM's collector goes row by row)."""
    for table in (EVENT_TABLE, MESSAGE_TABLE, ACTIVITY_TABLE, LINK_TABLE):
        _execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%s)", [campaign_ids])  # noqa: S608
