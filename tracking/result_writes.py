"""The writes of one tracked result (K1–K4): its Event row, the message's first-time timestamps, counters.

A result records its raw Event, sets each first-time timestamp of the Message that is still empty,
and adds one to the campaign's counter of each timestamp it set (and to the link's counters for a
click). On PostgreSQL all of that is ONE statement — data-modifying CTEs — so the hot tracking
endpoints make one round trip to write and the result is atomic without a transaction block. The
UPDATE reads the row's previous values (FROM a locked self-select) to know which timestamps it set.
Elsewhere (SQLite in the embedded mode) the same writes run one after the other in a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from django.db import connection, transaction

from campaigns.models import Message
from config.prepared_statements import PreparedStatement, run_prepared
from notifications.models import Notification
from tracking.models import COUNTER_SHARDS, CampaignActivity, Event, LinkActivity
from tracking.selectors import TrackedMessage

ACTIVITY_COUNTERS = frozenset(
    f.name for f in CampaignActivity._meta.get_fields() if f.name not in {"id", "campaign", "hour", "shard"}
)
FIRST_TIME_FIELDS = frozenset(
    f.name for f in Message._meta.get_fields() if f.name.endswith("_at") and f.name not in {"created_at", "claimed_at"}
)
_EVENT_COLUMNS = (
    "tenant_id, campaign_id, message_id, kind, machine, machine_reason, link_number, detail, user_agent, ip, "
    "provider_event_id, occurred_at"
)
_EVENT = Event._meta.db_table
_MESSAGE = Message._meta.db_table
_ACTIVITY = CampaignActivity._meta.db_table
_LINKS = LinkActivity._meta.db_table


def storable_text(text: str) -> str:
    """The text without NUL characters and with lone surrogates replaced (U+FFFD): PostgreSQL and UTF-8
    cannot hold them, and a bounce must not be lost for the odd byte in a provider's description."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


@dataclass(frozen=True)
class EventFacts:
    kind: str
    machine_reason: str = ""
    link_number: int | None = None
    detail: str = ""
    user_agent: str = ""
    ip: str | None = None
    provider_event_id: str = ""


@dataclass(frozen=True)
class ResultWrite:
    message: TrackedMessage
    at: datetime
    event: EventFacts
    first_times: dict[str, str] = field(default_factory=dict)  # Message field -> counter it adds one to
    link: tuple[int, bool] | None = None  # a human click: (link number, first click of it by this recipient)
    notify: tuple[str, str] | None = None  # the owner's notification (N1): (kind, clicked URL); once per kind

    def __post_init__(self) -> None:
        # field and counter names become SQL identifiers: only the models' own are accepted
        unknown = (set(self.first_times) - FIRST_TIME_FIELDS) | (set(self.first_times.values()) - ACTIVITY_COUNTERS)
        if unknown:
            raise ValueError(f"not a first-time field or counter: {', '.join(sorted(unknown))}")

    @property
    def shard(self) -> int:
        return self.message.id % COUNTER_SHARDS

    @property
    def hour(self) -> datetime:
        return self.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    def event_params(self) -> list:
        facts, message = self.event, self.message
        # request headers and provider texts are kept as they came, minus what PostgreSQL cannot store
        return [
            message.tenant_id,
            message.campaign_id,
            message.id,
            facts.kind,
            bool(facts.machine_reason),
            facts.machine_reason,
            facts.link_number,
            storable_text(facts.detail)[:2000],
            storable_text(facts.user_agent)[:300],
            facts.ip,
            storable_text(facts.provider_event_id)[:255],
            self.at,
        ]

    def link_params(self) -> list:
        number, first_by_recipient = self.link or (0, False)
        return [self.message.campaign_id, number, self.shard, int(first_by_recipient)]

    def notification_params(self) -> list:
        kind, url = self.notify or ("", "")
        m = self.message
        return [m.tenant_id, m.owner_id, m.campaign_id, m.id, m.lead_id, kind, url, self.at]

    def execute(self) -> None:
        if connection.vendor == "postgresql":
            self._in_one_statement()
        else:
            self._step_by_step()

    # PostgreSQL

    def _in_one_statement(self) -> None:
        parts = [f"event AS ({_EVENT_INSERT})"]
        params = self.event_params()
        if self.link is not None:
            parts.append(f"link AS ({_LINK_UPSERT})")
            params += self.link_params()
        if self.notify is not None:
            parts.append(f"notification AS ({_NOTIFICATION_INSERT})")
            params += self.notification_params()
        final = "SELECT 1"
        if self.first_times:
            fields, counters = list(self.first_times), list(self.first_times.values())
            sets = ", ".join(f"{name} = COALESCE(m.{name}, %s)" for name in fields)
            any_empty = " OR ".join(f"old.{name} IS NULL" for name in fields)
            returning = ", ".join(
                f"(old.{name} IS NULL)::int AS {counter}" for name, counter in self.first_times.items()
            )
            parts.append(
                f"first AS (UPDATE {_MESSAGE} AS m SET {sets} "  # noqa: S608 -- identifiers checked above
                f"FROM (SELECT id, {', '.join(fields)} FROM {_MESSAGE} WHERE id = %s FOR UPDATE) AS old "
                f"WHERE m.id = old.id AND ({any_empty}) RETURNING {returning})"
            )
            params += [self.at] * len(fields) + [self.message.id]
            final = (
                f"INSERT INTO {_ACTIVITY} (campaign_id, hour, shard, {', '.join(counters)}) "  # noqa: S608
                f"SELECT %s, %s, %s, {', '.join(counters)} FROM first "
                f"ON CONFLICT (campaign_id, hour, shard) DO UPDATE SET {_increments(_ACTIVITY, counters)}"
            )
            params += [self.message.campaign_id, self.hour, self.shard]
        with connection.cursor() as cursor:
            run_prepared(cursor, _statement(f"WITH {', '.join(parts)} {final}"), params)

    # SQLite (embedded mode)

    def _step_by_step(self) -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {_EVENT} ({_EVENT_COLUMNS}) VALUES ({', '.join(['%s'] * 12)})",  # noqa: S608
                    self.event_params(),
                )
                if self.link is not None:
                    cursor.execute(
                        _LINK_UPSERT, [self.message.campaign_id, self.link[0], self.shard, int(self.link[1])]
                    )
            won = [counter for name, counter in self.first_times.items() if self._set_first_time(name)]
            if won:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {_ACTIVITY} (campaign_id, hour, shard, {', '.join(won)}) "  # noqa: S608
                        f"VALUES (%s, %s, %s, {', '.join(['1'] * len(won))}) "
                        f"ON CONFLICT (campaign_id, hour, shard) DO UPDATE SET {_increments(_ACTIVITY, won)}",
                        [self.message.campaign_id, self.hour, self.shard],
                    )

    def _set_first_time(self, name: str) -> bool:
        return Message.objects.filter(pk=self.message.id, **{f"{name}__isnull": True}).update(**{name: self.at}) == 1


@lru_cache(maxsize=64)
def _statement(sql: str) -> PreparedStatement:
    """One per shape of result (which timestamps, link, notification): a handful, each prepared once per
    connection."""
    return PreparedStatement("result_write", sql)


def _increments(table: str, counters: list[str]) -> str:
    return ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in counters)


_NOTIFICATION_INSERT = (
    f"INSERT INTO {Notification._meta.db_table} "  # noqa: S608
    "(tenant_id, recipient_id, campaign_id, message_id, lead_id, kind, url, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (message_id, kind) DO NOTHING"
)
_EVENT_INSERT = f"INSERT INTO {_EVENT} ({_EVENT_COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"  # noqa: S608
_LINK_UPSERT = (
    f"INSERT INTO {_LINKS} (campaign_id, link_number, shard, clicks, unique_clicks) "  # noqa: S608
    "VALUES (%s, %s, %s, 1, %s) "
    f"ON CONFLICT (campaign_id, link_number, shard) DO UPDATE SET {_increments(_LINKS, ['clicks', 'unique_clicks'])}"
)
