"""The filter language of lead lists (L3): a JSON filter compiled to a Django Q, never to SQL text.

    {"all": [{"field": "industry", "op": "in", "value": ["IT", "製造"]},
             {"field": "employees", "op": "between", "value": [50, 1000]},
             {"field": "unsubscribed", "op": "is", "value": false}]}

Conditions are AND-ed; a condition with several values is an OR inside it ("eq", "contains",
"startswith" and "ne" also take a list). An empty "all" list matches every lead of the tenant.

What each op means, per kind of field:
- text (company_name ... website; email compares the normalized, lower-cased address):
  eq / in: equals one of the values (exact; for email case-insensitive). ne: equals none of them;
  a lead whose field is empty counts as "not equal". contains / startswith: case-insensitive, any
  of the values. empty / not_empty: the field is blank / has text.
- number (employees): eq, ne, in, between [from, to] (inclusive), gte, lte, empty / not_empty
  (employee count unknown / known). ne includes leads whose count is unknown.
- date (created_at, updated_at): values "YYYY-MM-DD" (the whole day in Asia/Tokyo) or an ISO 8601
  date-time (Asia/Tokyo when it has no offset). eq: on that day; before: earlier than the day;
  after: later than the day; gte: from the day on; lte: up to the end of the day; between
  [from, to]: both days included.
- status: eq / in (one of the statuses), ne (none of them).
- owner (user ids of the tenant): eq / in, ne (leads without an owner count as "not Bob's"),
  empty (no owner), not_empty.
- tags (tag names): eq / in: has any of the tags; ne: has none of them (leads without tags
  included); empty: has no tag; not_empty: has at least one. A name no lead carries matches nothing.
- unsubscribed: is true / false, derived from the tenant's suppression list (L5), never stored.

Mail activity, {"mail": {"campaign": <campaign id> | "any", "event": <event>}}, asks what happened
to the campaign mail (Message rows) this lead was sent. With a campaign id: that campaign's mail;
with "any": at least one campaign mail of the tenant. The campaign id must be a whole number naming
a campaign of the tenant. Events (human activity only; machine opens and clicks (K5) never count):
- delivered: the mail reached the recipient's server (the provider reported it; with SMTP, the
  server accepted it).
- opened: a person opened it (the open image, or a click, which counts as an open).
- clicked: a person clicked a tracked link in it.
- failed: sending failed (status "failed") or the provider reported a bounce or rejection.
- unsubscribed: the person unsubscribed through that mail (its link or one-click header).
- not_opened: the mail was sent (status "sent") without a reported bounce or rejection, and was not
  opened. With "any": the lead was sent at least one such mail and opened none of the campaign mail
  it ever received. Leads that were never sent campaign mail are not "not opened".
  A bounced mail counts as "failed", never as "not opened", so the two never overlap.

Every mistake raises FilterError naming the condition (1-based), field, op or value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from campaigns.models import Campaign, Message, MessageStatus
from leads.addresses import normalize_email
from leads.models import Lead, LeadStatus, Suppression

FILTER_TIMEZONE = ZoneInfo("Asia/Tokyo")
MAX_CONDITIONS = 50
MAX_LIST_VALUES = 1000
MAX_TEXT_LENGTH = 500
MAX_NUMBER = 2_147_483_647  # PostgreSQL integer
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON can carry them ("\ud800"); UTF-8 and PostgreSQL cannot

TEXT, NUMBER, DATE, STATUS, OWNER, TAGS, FLAG = "text", "number", "date", "status", "owner", "tags", "flag"

OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "contains", "startswith", "in", "empty", "not_empty"),
    NUMBER: ("eq", "ne", "in", "between", "gte", "lte", "empty", "not_empty"),
    DATE: ("eq", "before", "after", "between", "gte", "lte", "empty", "not_empty"),
    STATUS: ("eq", "ne", "in"),
    OWNER: ("eq", "ne", "in", "empty", "not_empty"),
    TAGS: ("eq", "ne", "in", "empty", "not_empty"),
    FLAG: ("is",),
}
ALL_OPS = frozenset(op for ops in OPS_BY_KIND.values() for op in ops)
OPS_WITHOUT_VALUE = frozenset({"empty", "not_empty"})
CONDITION_KEYS = frozenset({"field", "op", "value"})
NESTING_KEYS = frozenset({"all", "any", "not", "none", "or", "and"})


@dataclass(frozen=True)
class FilterField:
    name: str
    kind: str
    column: str


FIELDS: dict[str, FilterField] = {
    field.name: field
    for field in (
        FilterField("company_name", TEXT, "company_name"),
        FilterField("last_name", TEXT, "last_name"),
        FilterField("first_name", TEXT, "first_name"),
        FilterField("email", TEXT, "email_normalized"),
        FilterField("phone", TEXT, "phone"),
        FilterField("department", TEXT, "department"),
        FilterField("title", TEXT, "title"),
        FilterField("industry", TEXT, "industry"),
        FilterField("prefecture", TEXT, "prefecture"),
        FilterField("website", TEXT, "website"),
        FilterField("employees", NUMBER, "employees"),
        FilterField("created_at", DATE, "created_at"),
        FilterField("updated_at", DATE, "updated_at"),
        FilterField("status", STATUS, "status"),
        FilterField("owner", OWNER, "owner_id"),
        FilterField("tags", TAGS, "tags"),
        FilterField("unsubscribed", FLAG, "email_normalized"),
    )
}


class FilterError(ValueError):
    """A filter that cannot be used, with a message that names the problem.

    `index` is the 0-based position of the offending condition in "all" (None for the filter as a
    whole), `problem` the message without the "Condition N (field)" prefix, for showing next to
    the condition's row on the filter screen.
    """

    def __init__(self, problem: str, *, index: int | None = None, field: str | None = None):
        self.problem = problem
        self.index = index
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.index is None:
            return self.problem
        if self.field:
            return _("Condition %(number)s (%(field)s): %(problem)s") % {
                "number": self.index + 1,
                "field": self.field,
                "problem": self.problem,
            }
        return _("Condition %(number)s: %(problem)s") % {"number": self.index + 1, "problem": self.problem}

    def __str__(self) -> str:
        return self.message


def shown(value: Any) -> str:
    """A value as the user wrote it, for an error message (JSON, shortened)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if LONE_SURROGATE.search(text):  # JSON's "\ud800" escape: shown as written, never as text that cannot encode
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# The compiler


def compile_filter(lead_filter: object, tenant: Tenant) -> Q:
    """The Q selecting the tenant's leads that match; combine with Lead.objects.for_tenant(tenant)."""
    conditions = validate_shape(lead_filter)
    query = Q()
    for index, condition in enumerate(conditions):
        query &= compile_condition(condition, index, tenant)
    return query


def validate_shape(lead_filter: object) -> list:
    if not isinstance(lead_filter, dict):
        raise FilterError(_('The filter must be a JSON object like {"all": [...]}.'))
    extra = set(lead_filter) - {"all"}
    if extra:
        raise FilterError(
            _('Nesting is not supported: the filter has one "all" list of conditions, not %(keys)s.')
            % {"keys": ", ".join(sorted(shown(key) for key in extra))}
        )
    if "all" not in lead_filter:
        raise FilterError(_('The filter needs an "all" list of conditions.'))
    conditions = lead_filter["all"]
    if not isinstance(conditions, list):
        raise FilterError(_('"all" must be a list of conditions.'))
    if len(conditions) > MAX_CONDITIONS:
        raise FilterError(
            _("A filter may have at most %(max)s conditions; this one has %(count)s.")
            % {"max": MAX_CONDITIONS, "count": len(conditions)}
        )
    return conditions


def compile_condition(condition: object, index: int, tenant: Tenant) -> Q:
    if not isinstance(condition, dict):
        raise FilterError(_('A condition must be an object with "field", "op" and "value".'), index=index)
    nested = NESTING_KEYS & set(condition)
    if nested:
        raise FilterError(
            _("Nesting is not supported: %(key)s inside a condition.") % {"key": shown(sorted(nested)[0])},
            index=index,
        )
    if "mail" in condition:
        return compile_mail_condition(condition, index, tenant)
    return compile_field_condition(condition, index, tenant)


MAIL_EVENTS = ("delivered", "opened", "clicked", "failed", "unsubscribed", "not_opened")
MAIL_KEYS = frozenset({"campaign", "event"})
ANY_CAMPAIGN = "any"
# the Message rows each event asks for; not_opened is built in compile_mail_condition
MAIL_EVENT_QUERIES: dict[str, Q] = {
    "delivered": Q(delivered_at__isnull=False),
    "opened": Q(opened_at__isnull=False),
    "clicked": Q(clicked_at__isnull=False),
    "failed": Q(status=MessageStatus.FAILED) | Q(bounced_at__isnull=False),
    "unsubscribed": Q(unsubscribed_at__isnull=False),
}


def compile_mail_condition(condition: dict, index: int, tenant: Tenant) -> Q:
    """{"mail": {"campaign": id | "any", "event": ...}}: Exists() on the lead's Message rows.

    Every subquery starts from lead_id = the outer lead, so the (lead, -created_at) index finds the
    few messages of each lead; the campaign id is checked against the tenant before it is used.
    """
    problem = ConditionProblem(index=index, field="mail")
    unknown_keys = set(condition) - {"mail"}
    if unknown_keys:
        raise problem(
            _('Unknown key %(key)s; a mail-activity condition has only "mail".')
            % {"key": shown(sorted(map(str, unknown_keys))[0])}
        )
    mail = condition["mail"]
    if not isinstance(mail, dict):
        raise problem(
            _('"mail" must be an object like {"campaign": 12, "event": "opened"}, not %(value)s.')
            % {"value": shown(mail)}
        )
    unknown_keys = set(mail) - MAIL_KEYS
    if unknown_keys:
        raise problem(
            _('Unknown key %(key)s; "mail" has "campaign" and "event".')
            % {"key": shown(sorted(map(str, unknown_keys))[0])}
        )
    for key in ("campaign", "event"):
        if key not in mail:
            raise problem(_('"%(key)s" is missing.') % {"key": key})
    event = mail["event"]
    if not isinstance(event, str) or event not in MAIL_EVENTS:
        raise problem(
            _("Unknown mail event %(event)s; use one of: %(events)s.")
            % {"event": shown(event), "events": ", ".join(MAIL_EVENTS)}
        )
    campaign_id = mail_campaign(mail["campaign"], problem, tenant)
    messages = Message.objects.filter(lead_id=OuterRef("pk"))
    if campaign_id is not None:
        messages = messages.filter(campaign_id=campaign_id)
    if event == "not_opened":
        unopened = messages.filter(status=MessageStatus.SENT, bounced_at__isnull=True, opened_at__isnull=True)
        if campaign_id is not None:
            return Q(Exists(unopened))
        return Q(Exists(unopened)) & ~Q(Exists(messages.filter(opened_at__isnull=False)))
    return Q(Exists(messages.filter(MAIL_EVENT_QUERIES[event])))


def mail_campaign(value: Any, problem: ConditionProblem, tenant: Tenant) -> int | None:
    """The campaign id of a mail condition (None for "any"), checked to be one of the tenant's."""
    if value == ANY_CAMPAIGN:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_NUMBER:
        raise problem(_('Campaign %(value)s is not a campaign id (a whole number) or "any".') % {"value": shown(value)})
    if not Campaign.objects.for_tenant(tenant).filter(pk=value).exists():
        raise problem(_("Campaign id %(id)s is not a campaign of your company.") % {"id": value})
    return value


def compile_field_condition(condition: dict, index: int, tenant: Tenant) -> Q:
    unknown_keys = set(condition) - CONDITION_KEYS
    if unknown_keys:
        raise FilterError(
            _('Unknown key %(key)s; a condition has "field", "op" and "value".')
            % {"key": shown(sorted(map(str, unknown_keys))[0])},
            index=index,
        )
    if "field" not in condition:
        raise FilterError(_('"field" is missing.'), index=index)
    name = condition["field"]
    if not isinstance(name, str) or name not in FIELDS:
        raise FilterError(
            _("Unknown field %(field)s; known fields: %(fields)s.")
            % {"field": shown(name), "fields": ", ".join(FIELDS)},
            index=index,
        )
    field = FIELDS[name]
    problem = ConditionProblem(index=index, field=name)
    if "op" not in condition:
        raise problem(_('"op" is missing.'))
    op = condition["op"]
    if not isinstance(op, str) or op not in ALL_OPS:
        raise problem(_("Unknown op %(op)s.") % {"op": shown(op)})
    valid_ops = OPS_BY_KIND[field.kind]
    if op not in valid_ops:
        raise problem(
            _('The op "%(op)s" cannot be used with this field; use one of: %(ops)s.')
            % {"op": op, "ops": ", ".join(valid_ops)}
        )
    if op in OPS_WITHOUT_VALUE:
        if condition.get("value") is not None:
            raise problem(_('The op "%(op)s" takes no value.') % {"op": op})
        value = None
    elif "value" not in condition:
        raise problem(_('The op "%(op)s" needs a "value".') % {"op": op})
    else:
        value = condition["value"]
    return COMPILERS[field.kind](field, op, value, problem, tenant)


@dataclass(frozen=True)
class ConditionProblem:
    """Raises FilterError for one condition: `raise problem(message)`."""

    index: int
    field: str

    def __call__(self, message: str) -> FilterError:
        return FilterError(message, index=self.index, field=self.field)


# ---------------------------------------------------------------------------------------------
# Values


def text_values(value: Any, op: str, problem: ConditionProblem) -> list[str]:
    """One string, or a list of strings where the op takes several; de-duplicated, order kept."""
    if isinstance(value, str):
        if op == "in":
            raise problem(_('The op "in" needs a list of values.'))
        values = [value]
    elif isinstance(value, list):
        values = list_of(value, problem)
        if not all(isinstance(item, str) for item in values):
            raise problem(_("Every value must be text, not %(value)s.") % {"value": shown(value)})
    else:
        raise problem(_("The value must be text or a list of texts, not %(value)s.") % {"value": shown(value)})
    for item in values:
        if not item.strip():
            raise problem(_('A value must not be blank (use the op "empty" to find blank fields).'))
        if len(item) > MAX_TEXT_LENGTH:
            raise problem(_("A value may have at most %(max)s characters.") % {"max": MAX_TEXT_LENGTH})
        if "\x00" in item:
            raise problem(_("A value must not contain NUL characters."))
        if LONE_SURROGATE.search(item):
            raise problem(_("A value must not contain unpaired surrogate characters (text that is not valid Unicode)."))
    return list(dict.fromkeys(values))


def list_of(value: list, problem: ConditionProblem) -> list:
    if not value:
        raise problem(_("The list of values is empty."))
    if len(value) > MAX_LIST_VALUES:
        raise problem(
            _("A list may have at most %(max)s values; this one has %(count)s.")
            % {"max": MAX_LIST_VALUES, "count": len(value)}
        )
    return value


def whole_number(value: Any, problem: ConditionProblem) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise problem(_("%(value)s is not a whole number.") % {"value": shown(value)})
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise problem(_("%(value)s is not a whole number.") % {"value": shown(value)})
        value = int(value)
    if abs(value) > MAX_NUMBER:
        raise problem(_("%(value)s is too large.") % {"value": shown(value)})
    return value


def number_values(value: Any, op: str, problem: ConditionProblem) -> list[int]:
    if isinstance(value, list):
        if op not in ("eq", "ne", "in"):
            raise problem(_('The op "%(op)s" takes one number, not a list.') % {"op": op})
        return list(dict.fromkeys(whole_number(item, problem) for item in list_of(value, problem)))
    if op == "in":
        raise problem(_('The op "in" needs a list of values.'))
    return [whole_number(value, problem)]


def pair(value: Any, problem: ConditionProblem) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise problem(
            _('"between" needs a list of exactly two values [from, to], not %(value)s.') % {"value": shown(value)}
        )
    return value[0], value[1]


DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Moment:
    """A date value as a half-open span: a whole day in Asia/Tokyo, or one instant (start == end)."""

    start: datetime
    end: datetime
    whole_day: bool


def moment(value: Any, problem: ConditionProblem) -> Moment:
    if not isinstance(value, str):
        raise problem(_("%(value)s is not a date (YYYY-MM-DD) or an ISO 8601 date and time.") % {"value": shown(value)})
    try:
        if DATE_ONLY.fullmatch(value):
            day = date.fromisoformat(value)
            start = datetime.combine(day, time.min, tzinfo=FILTER_TIMEZONE)
            span = Moment(start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=FILTER_TIMEZONE), True)
        else:
            instant = datetime.fromisoformat(value)
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=FILTER_TIMEZONE)
            span = Moment(instant, instant, False)
        # the database gets UTC: an instant that has none (year 1 or 9999 at the edge) fails here
        span.start.astimezone(UTC)
        span.end.astimezone(UTC)
        return span
    except (ValueError, OverflowError):
        raise problem(
            _("%(value)s is not a date (YYYY-MM-DD) or an ISO 8601 date and time.") % {"value": shown(value)}
        ) from None


# ---------------------------------------------------------------------------------------------
# One compiler per kind of field


def any_of(column: str, lookup: str, values: list) -> Q:
    query = Q()
    for value in values:
        query |= Q(**{f"{column}__{lookup}": value})
    return query


def equals_any(column: str, values: list) -> Q:
    return Q(**{column: values[0]}) if len(values) == 1 else Q(**{f"{column}__in": values})


def compile_text(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    column = field.column
    if op == "empty":
        return Q(**{column: ""})
    if op == "not_empty":
        return ~Q(**{column: ""})
    values = text_values(value, op, problem)
    if field.name == "email":
        # email_normalized is NFKC and lower-case: compare with the value normalized the same way,
        # case-sensitively, so the (tenant, email_normalized) index serves eq, in and startswith.
        values = list(dict.fromkeys(normalize_email(item) for item in values))
        lookups = {"contains": "contains", "startswith": "startswith"}
    else:
        lookups = {"contains": "icontains", "startswith": "istartswith"}
    if op in ("eq", "in"):
        return equals_any(column, values)
    if op == "ne":
        return ~equals_any(column, values)
    return any_of(column, lookups[op], values)


def compile_number(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    column = field.column
    if op == "empty":
        return Q(**{f"{column}__isnull": True})
    if op == "not_empty":
        return Q(**{f"{column}__isnull": False})
    if op == "between":
        low, high = (whole_number(item, problem) for item in pair(value, problem))
        if low > high:
            raise problem(_('The first value of "between" must not be greater than the second.'))
        return Q(**{f"{column}__gte": low, f"{column}__lte": high})
    values = number_values(value, op, problem)
    if op in ("eq", "in"):
        return equals_any(column, values)
    if op == "ne":
        return ~equals_any(column, values)  # for a nullable column Django keeps the NULLs: "unknown" is "not 50"
    return Q(**{f"{column}__{op}": values[0]})


def compile_date(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    column = field.column
    if op == "empty":
        return Q(**{f"{column}__isnull": True})
    if op == "not_empty":
        return Q(**{f"{column}__isnull": False})
    if op == "between":
        first, last = (moment(item, problem) for item in pair(value, problem))
        if first.start > last.start:
            raise problem(_('The first value of "between" must not be later than the second.'))
        return Q(**{f"{column}__gte": first.start}) & up_to(column, last)
    if op == "eq" and isinstance(value, list):
        moments = [moment(item, problem) for item in list_of(value, problem)]
    else:
        moments = [moment(value, problem)]
    if op == "eq":
        query = Q()
        for span in moments:
            query |= Q(**{f"{column}__gte": span.start}) & up_to(column, span)
        return query
    span = moments[0]
    if op == "before":
        return Q(**{f"{column}__lt": span.start})
    if op == "after":
        return Q(**{f"{column}__gte": span.end}) if span.whole_day else Q(**{f"{column}__gt": span.end})
    if op == "gte":
        return Q(**{f"{column}__gte": span.start})
    return up_to(column, span)  # lte


def up_to(column: str, span: Moment) -> Q:
    """Up to and including the value: the whole day for a date, the instant for a date-time."""
    return Q(**{f"{column}__lt": span.end}) if span.whole_day else Q(**{f"{column}__lte": span.end})


def compile_status(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    values = text_values(value, op, problem)
    unknown = [item for item in values if item not in LeadStatus.values]
    if unknown:
        raise problem(
            _("Unknown status %(value)s; use one of: %(choices)s.")
            % {"value": shown(unknown[0]), "choices": ", ".join(LeadStatus.values)}
        )
    return ~equals_any(field.column, values) if op == "ne" else equals_any(field.column, values)


def compile_owner(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    column = field.column
    if op == "empty":
        return Q(**{f"{column}__isnull": True})
    if op == "not_empty":
        return Q(**{f"{column}__isnull": False})
    if isinstance(value, list):
        ids = [user_id(item, problem) for item in list_of(value, problem)]
    elif op == "in":
        raise problem(_('The op "in" needs a list of values.'))
    else:
        ids = [user_id(value, problem)]
    ids = list(dict.fromkeys(ids))
    known = set(User.objects.for_tenant(tenant).filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [str(item) for item in ids if item not in known]
    if unknown:
        raise problem(
            _("User id %(ids)s is not a user of your company.") % {"ids": ", ".join(unknown)}
            if len(unknown) == 1
            else _("User ids %(ids)s are not users of your company.") % {"ids": ", ".join(unknown)}
        )
    return ~equals_any(column, ids) if op == "ne" else equals_any(column, ids)


def user_id(value: Any, problem: ConditionProblem) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_NUMBER:
        raise problem(_("%(value)s is not a user id (a whole number).") % {"value": shown(value)})
    return value


def compile_tags(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    # Exists on the lead-tag table (its (lead_id, tag_id) index), never a join that repeats leads.
    tagged = Lead.tags.through.objects.filter(lead_id=OuterRef("pk"))
    if op == "empty":
        return ~Q(Exists(tagged))
    if op == "not_empty":
        return Q(Exists(tagged))
    names = text_values(value, op, problem)
    has_any = Exists(tagged.filter(tag__tenant=tenant, tag__name__in=names))
    return ~Q(has_any) if op == "ne" else Q(has_any)


def compile_flag(field: FilterField, op: str, value: Any, problem: ConditionProblem, tenant: Tenant) -> Q:
    if not isinstance(value, bool):
        raise problem(_("The value must be true or false, not %(value)s.") % {"value": shown(value)})
    # unsubscribed: derived from the suppression list through its (tenant, email_normalized) index
    suppressed = Exists(Suppression.objects.filter(tenant=tenant, email_normalized=OuterRef("email_normalized")))
    return Q(suppressed) if value else ~Q(suppressed)


Compiler = Callable[[FilterField, str, Any, ConditionProblem, Tenant], Q]
COMPILERS: dict[str, Compiler] = {
    TEXT: compile_text,
    NUMBER: compile_number,
    DATE: compile_date,
    STATUS: compile_status,
    OWNER: compile_owner,
    TAGS: compile_tags,
    FLAG: compile_flag,
}
