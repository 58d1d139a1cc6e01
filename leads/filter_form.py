"""The filter screen (絞り込み): its posted condition rows to the filter JSON and back, and the
filter described in words for the list page.

A row posts `row=<key>` plus `cond-<key>-field`, `cond-<key>-op`, `cond-<key>-value` (several for
checkbox groups) and `cond-<key>-value2` (the second value of "between"). Rows keep their order.
Text values may list several alternatives separated by commas or new lines (OR inside the
condition); numbers are separated by spaces or new lines and written without commas.

A mail-activity row posts field "mail", the event as its op and the campaign ("any" or an id) as
its value; it stands for {"mail": {"campaign": ..., "event": ...}}.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from campaigns.models import Campaign
from leads.filters import (
    ANY_CAMPAIGN,
    DATE,
    FIELDS,
    FILTER_TIMEZONE,
    FLAG,
    MAIL_EVENTS,
    NUMBER,
    OPS_BY_KIND,
    OPS_WITHOUT_VALUE,
    OWNER,
    STATUS,
    TAGS,
    TEXT,
    FilterError,
    compile_filter,
    shown,
)
from leads.models import LeadStatus, Tag

MAX_POSTED_ROWS = 60  # more than the compiler's 50, so the screen can say "at most 50"
MAX_POSTED_VALUES = 1000
ROW_KEY = re.compile(r"[a-z0-9]{1,12}")
TEXT_SEPARATORS = re.compile(r"[,，\n\r]+")
NUMBER_SEPARATORS = re.compile(r"[\s、;；]+")

FIELD_LABELS = {
    "company_name": gettext_lazy("Company name"),
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Phone"),
    "department": gettext_lazy("Department"),
    "title": gettext_lazy("Title"),
    "industry": gettext_lazy("Industry"),
    "prefecture": gettext_lazy("Prefecture"),
    "website": gettext_lazy("Website"),
    "employees": gettext_lazy("Employees"),
    "status": gettext_lazy("Status"),
    "owner": gettext_lazy("Owner"),
    "tags": gettext_lazy("Tags"),
    "unsubscribed": gettext_lazy("Unsubscribed"),
    "created_at": gettext_lazy("Created"),
    "updated_at": gettext_lazy("Updated"),
}

# The ops each kind offers on the screen, in menu order (created/updated are never empty).
SCREEN_OPS = {
    TEXT: ("contains", "eq", "in", "ne", "startswith", "empty", "not_empty"),
    NUMBER: ("between", "gte", "lte", "eq", "ne", "in", "empty", "not_empty"),
    DATE: ("after", "before", "eq", "between", "gte", "lte"),
    STATUS: ("in", "eq", "ne"),
    OWNER: ("eq", "in", "ne", "empty", "not_empty"),
    TAGS: ("eq", "in", "ne", "empty", "not_empty"),
    FLAG: ("is",),
}
assert all(set(ops) <= set(OPS_BY_KIND[kind]) for kind, ops in SCREEN_OPS.items())

OP_LABELS = {
    TEXT: {
        "eq": gettext_lazy("is"),
        "ne": gettext_lazy("is not"),
        "contains": gettext_lazy("contains"),
        "startswith": gettext_lazy("starts with"),
        "in": gettext_lazy("is any of"),
        "empty": gettext_lazy("is empty"),
        "not_empty": gettext_lazy("is not empty"),
    },
    NUMBER: {
        "eq": gettext_lazy("is"),
        "ne": gettext_lazy("is not"),
        "in": gettext_lazy("is any of"),
        "between": gettext_lazy("is between"),
        "gte": gettext_lazy("is at least"),
        "lte": gettext_lazy("is at most"),
        "empty": gettext_lazy("is empty"),
        "not_empty": gettext_lazy("is not empty"),
    },
    DATE: {
        "eq": gettext_lazy("is on"),
        "before": gettext_lazy("is before"),
        "after": gettext_lazy("is after"),
        "between": gettext_lazy("is between"),
        "gte": gettext_lazy("is on or after"),
        "lte": gettext_lazy("is on or before"),
        "empty": gettext_lazy("is empty"),
        "not_empty": gettext_lazy("is not empty"),
    },
    STATUS: {"eq": gettext_lazy("is"), "ne": gettext_lazy("is not"), "in": gettext_lazy("is any of")},
    OWNER: {
        "eq": gettext_lazy("is"),
        "ne": gettext_lazy("is not"),
        "in": gettext_lazy("is any of"),
        "empty": gettext_lazy("is not set"),
        "not_empty": gettext_lazy("is set"),
    },
    TAGS: {
        "eq": gettext_lazy("has the tag"),
        "ne": gettext_lazy("does not have the tag"),
        "in": gettext_lazy("has any of the tags"),
        "empty": gettext_lazy("has no tags"),
        "not_empty": gettext_lazy("has a tag"),
    },
    FLAG: {"is": gettext_lazy("is")},
}


# Mail activity: not a field of the lead; its row picks a campaign and an event (the row's op).
MAIL = "mail"
MAIL_LABEL = gettext_lazy("Mail activity")
MAIL_EVENT_LABELS = {  # shown after the campaign: "「秋の新製品案内」 開封した"
    "opened": gettext_lazy("opened"),
    "clicked": gettext_lazy("clicked a link"),
    "not_opened": gettext_lazy("received but did not open"),
    "delivered": gettext_lazy("was delivered"),
    "failed": gettext_lazy("failed or bounced"),
    "unsubscribed": gettext_lazy("unsubscribed"),
}
assert set(MAIL_EVENT_LABELS) == set(MAIL_EVENTS)
MAIL_CAMPAIGN_CHOICES = 200  # the newest campaigns that started sending


class LeadListNameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("List name"), max_length=200)


@dataclass
class FilterRow:
    """One condition row of the filter screen, as posted (raw text) and as shown."""

    key: str
    field: str
    op: str
    values: list[str] = field(default_factory=list)
    value2: str = ""
    error: str = ""
    note: str = ""
    autofocus: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # status/owner/flag values offered

    @property
    def kind(self) -> str:
        return MAIL if self.field == MAIL else FIELDS[self.field].kind

    @property
    def field_choices(self) -> list[tuple[str, str]]:
        return [*((name, str(label)) for name, label in FIELD_LABELS.items()), (MAIL, str(MAIL_LABEL))]

    @property
    def op_choices(self) -> list[tuple[str, str]]:
        if self.kind == MAIL:
            return [(event, str(label)) for event, label in MAIL_EVENT_LABELS.items()]
        return [(op, str(OP_LABELS[self.kind][op])) for op in SCREEN_OPS[self.kind]]

    @property
    def widget(self) -> str:
        """How the value is typed: none, text, textarea, number, date, between, select, checkboxes, mail."""
        kind, op = self.kind, self.op
        if kind == MAIL:
            return "mail"  # a campaign select and an event select
        if op in OPS_WITHOUT_VALUE:
            return "none"
        if kind in (STATUS, OWNER):
            return "checkboxes" if op == "in" else "select"
        if kind == FLAG:
            return "select"
        if op == "between":
            return "between"
        if kind == NUMBER:
            return "textarea" if op == "in" else "number"
        if kind == DATE:
            return "date" if self.input_type == "date" and len(self.values) <= 1 else "text"
        return "textarea" if op == "in" else "text"

    @property
    def input_type(self) -> str:
        """For dates and between: the HTML input type of the value inputs."""
        if self.kind == DATE:
            plain = all(not value or DATE_TEXT.fullmatch(value) for value in [*self.values, self.value2])
            return "date" if plain else "text"
        return "text"

    @property
    def text(self) -> str:
        """The value text box's content."""
        if self.widget == "textarea":
            return "\n".join(self.values)
        if self.kind == NUMBER:
            return " ".join(self.values)
        return ", ".join(self.values) if len(self.values) > 1 else "".join(self.values)

    @property
    def first(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def uses_tag_names(self) -> bool:
        return self.kind == TAGS


DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def new_row_key() -> str:
    return secrets.token_hex(4)


def default_row(key: str | None = None, *, field_name: str = "company_name") -> FilterRow:
    kind = FIELDS[field_name].kind
    return FilterRow(key=key or new_row_key(), field=field_name, op=SCREEN_OPS[kind][0])


# ---------------------------------------------------------------------------------------------
# Posted rows


def rows_from_post(data: QueryDict) -> list[FilterRow]:
    """The rows as posted, in order; unknown fields/ops fall back to a field's first op."""
    keys = [key for key in dict.fromkeys(data.getlist("row")) if ROW_KEY.fullmatch(key)]
    return [row_from_post(data, key) for key in keys[:MAX_POSTED_ROWS]]


def rows_as_posted(rows: list[FilterRow]) -> QueryDict:
    """Rows as the screen would post them (for a saved list, validated the same way as typed ones)."""
    data = QueryDict(mutable=True)
    for row in rows:
        data.appendlist("row", row.key)
        data[f"cond-{row.key}-field"] = row.field
        data[f"cond-{row.key}-op"] = row.op
        data.setlist(f"cond-{row.key}-value", row.values)
        data[f"cond-{row.key}-value2"] = row.value2
    return data


def row_from_post(data: QueryDict, key: str) -> FilterRow:
    field_name = data.get(f"cond-{key}-field", "")
    if field_name == MAIL:
        return mail_row_from_post(data, key)
    if field_name not in FIELDS:
        return default_row(key)
    kind = FIELDS[field_name].kind
    values = [value.strip()[:5000] for value in data.getlist(f"cond-{key}-value")[:MAX_POSTED_VALUES]]
    value2 = data.get(f"cond-{key}-value2", "").strip()[:5000]
    if data.get(f"cond-{key}-kind", kind) != kind:
        values, value2 = [], ""  # another kind of field: the old value means nothing there
    op = data.get(f"cond-{key}-op", "")
    if op not in SCREEN_OPS[kind]:
        op = SCREEN_OPS[kind][0]
    return FilterRow(key=key, field=field_name, op=op, values=[value for value in values if value], value2=value2)


def mail_row_from_post(data: QueryDict, key: str) -> FilterRow:
    """A mail-activity row; a row that was another kind before starts with "any campaign" opened."""
    event = data.get(f"cond-{key}-op", "")
    campaign = data.get(f"cond-{key}-value", "").strip()[:20]
    if data.get(f"cond-{key}-kind", MAIL) != MAIL:
        event, campaign = "", ""
    if event not in MAIL_EVENTS:
        event = next(iter(MAIL_EVENT_LABELS))
    return FilterRow(key=key, field=MAIL, op=event, values=[campaign or ANY_CAMPAIGN])


@dataclass
class FilterScreen:
    """What the screen posted: its rows (with their errors) and the filter when it is valid."""

    rows: list[FilterRow]
    lead_filter: dict | None
    general_error: str = ""

    @property
    def is_valid(self) -> bool:
        return self.lead_filter is not None


def read_filter_screen(data: QueryDict, tenant: Tenant, *, complete: bool) -> FilterScreen:
    """Rows to filter JSON, validated by the compiler; each error is put on its row.

    complete=False (the live preview): rows still waiting for a value are left out, with a note.
    complete=True (saving): such rows are errors.
    """
    rows = rows_from_post(data)
    used: list[tuple[FilterRow, dict]] = []
    for row in rows:
        try:
            condition = row_condition(row)
        except FilterError as error:
            row.error = error.problem
            continue
        if condition is None:
            if complete:
                row.error = _("Enter a value for this condition.")
            else:
                row.note = _("This condition applies once it has a value.")
            continue
        used.append((row, condition))
    if any(row.error for row in rows):
        return FilterScreen(rows, None)
    lead_filter = {"all": [condition for _row, condition in used]}
    try:
        compile_filter(lead_filter, tenant)
    except FilterError as error:
        if error.index is not None and error.index < len(used):
            used[error.index][0].error = error.problem
            return FilterScreen(rows, None)
        return FilterScreen(rows, None, error.message)
    return FilterScreen(rows, lead_filter)


def row_condition(row: FilterRow) -> dict | None:
    """The row's condition for the filter JSON; None while it still needs a value."""
    kind, op = row.kind, row.op
    if kind == MAIL:
        if not row.first:
            return None
        campaign = row.first if row.first == ANY_CAMPAIGN else int_or_text(row.first)
        return {"mail": {"campaign": campaign, "event": op}}
    condition = {"field": row.field, "op": op}
    if op in OPS_WITHOUT_VALUE:
        return condition
    if op == "between":
        if not row.first or not row.value2:
            return None
        parse = number if kind == NUMBER else date_text
        return condition | {"value": [parse(row.first), parse(row.value2)]}
    if kind == FLAG:
        if row.first not in ("true", "false"):
            return None
        return condition | {"value": row.first == "true"}
    if kind in (STATUS, OWNER):
        values = [int_or_text(value) if kind == OWNER else value for value in row.values]
        if not values:
            return None
        return condition | {"value": values if op == "in" else values[0]}
    if kind == NUMBER:
        values = [number(piece) for value in row.values for piece in NUMBER_SEPARATORS.split(value) if piece]
        if not values:
            return None
        if op in ("gte", "lte") and len(values) > 1:
            raise FilterError(_("Enter one number."))
        return condition | {"value": values if op == "in" or len(values) > 1 else values[0]}
    if kind == DATE:
        values = [date_text(piece) for value in row.values for piece in TEXT_SEPARATORS.split(value) if piece.strip()]
        if not values:
            return None
        if op != "eq" and len(values) > 1:
            raise FilterError(_("Enter one date."))
        return condition | {"value": values if len(values) > 1 else values[0]}
    values = [piece.strip() for value in row.values for piece in TEXT_SEPARATORS.split(value) if piece.strip()]
    if not values:
        return None
    values = list(dict.fromkeys(values))
    return condition | {"value": values if op == "in" or len(values) > 1 else values[0]}


def number(text: str) -> int:
    """A whole number as typed (full-width digits too); commas are refused, not guessed."""
    text = unicodedata.normalize("NFKC", text).strip()
    if "," in text:
        raise FilterError(
            _("Write numbers without commas (1000, not 1,000); separate several numbers with spaces or new lines.")
        )
    try:
        return int(text)
    except ValueError:
        raise FilterError(_("%(value)s is not a whole number.") % {"value": shown(text)}) from None


def int_or_text(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text  # the compiler names it


def date_text(text: str) -> str:
    """YYYY-MM-DD as the date input posts it; 2026/1/5 as a person types it becomes 2026-01-05."""
    text = unicodedata.normalize("NFKC", text).strip()
    match = re.fullmatch(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})", text)
    if match:
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


# ---------------------------------------------------------------------------------------------
# Filter JSON to rows (the edit screen)


def rows_from_filter(lead_filter: object) -> tuple[list[FilterRow], str]:
    """The rows showing a saved filter, and a message for conditions the screen cannot show."""
    conditions = lead_filter.get("all") if isinstance(lead_filter, dict) else None
    if not isinstance(conditions, list):
        return [], _("This list's conditions cannot be shown on this screen; saving replaces them.")
    rows, skipped = [], 0
    for number_, condition in enumerate(conditions):
        row = row_from_condition(condition, key=f"r{number_}")
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    message = _("This list's conditions cannot be shown on this screen; saving replaces them.") if skipped else ""
    return rows, message


def row_from_condition(condition: object, *, key: str) -> FilterRow | None:
    if isinstance(condition, dict) and set(condition) == {MAIL}:
        return mail_row_from_condition(condition[MAIL], key=key)
    if not isinstance(condition, dict) or condition.get("field") not in FIELDS:
        return None
    field_name = condition["field"]
    kind = FIELDS[field_name].kind
    op = condition.get("op")
    value = condition.get("value")
    if kind != DATE and op == "eq" and isinstance(value, list):
        op = "in"  # several values of "eq" are "any of"
    if op not in SCREEN_OPS[kind]:
        return None
    row = FilterRow(key=key, field=field_name, op=op)
    if op == "between" and isinstance(value, list) and len(value) == 2:
        row.values, row.value2 = [as_text(value[0])], as_text(value[1])
    elif kind == FLAG:
        row.values = ["true" if value is True else "false" if value is False else ""]
    elif isinstance(value, list):
        row.values = [as_text(item) for item in value]
    elif value is not None:
        row.values = [as_text(value)]
    if kind in (TEXT, TAGS) and not all(shows_as_typed(item) for item in row.values):
        return None  # the screen would split or trim it: saving the row as shown would change the list
    return row


def shows_as_typed(value: str) -> bool:
    """A text value the screen gives back unchanged: nothing to trim, no comma or line break (its separators)."""
    return value == value.strip() and not TEXT_SEPARATORS.search(value)


def mail_row_from_condition(mail: object, *, key: str) -> FilterRow | None:
    if not isinstance(mail, dict) or set(mail) != {"campaign", "event"} or mail["event"] not in MAIL_EVENTS:
        return None
    campaign = mail["campaign"]
    if campaign != ANY_CAMPAIGN and (isinstance(campaign, bool) or not isinstance(campaign, int)):
        return None
    return FilterRow(key=key, field=MAIL, op=mail["event"], values=[as_text(campaign)])


def as_text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------------------------
# Choices the rows offer (status, owner, yes/no) and the screen's tag names


def attach_choices(rows: list[FilterRow], tenant: Tenant) -> None:
    users = campaigns = None
    for row in rows:
        if row.kind == MAIL:
            if campaigns is None:
                campaigns = campaign_choices(tenant)
            known = {ANY_CAMPAIGN, *(value for value, _label in campaigns)}
            unknown = [
                (value, _("Unknown campaign (id %(id)s)") % {"id": value}) for value in row.values if value not in known
            ]
            row.choices = [(ANY_CAMPAIGN, _("Any campaign")), *campaigns, *unknown]
        if row.kind == STATUS:
            row.choices = [(value, str(label)) for value, label in LeadStatus.choices]
        elif row.kind == FLAG:
            row.choices = [("false", _("Unsubscribed: no")), ("true", _("Unsubscribed: yes"))]
        elif row.kind == OWNER:
            if users is None:
                users = [
                    (str(user.pk), user.display_name)
                    for user in User.objects.for_tenant(tenant).order_by("name", "email")
                ]
            known = {value for value, _label in users}
            unknown = [
                (value, _("Unknown user (id %(id)s)") % {"id": value}) for value in row.values if value not in known
            ]
            row.choices = users + unknown


def campaign_choices(tenant: Tenant) -> list[tuple[str, str]]:
    """The tenant's campaigns that started sending (sending, paused, sent or cancelled), newest first."""
    campaigns = (
        Campaign.objects.for_tenant(tenant)
        .filter(started_at__isnull=False)
        .order_by("-started_at", "-id")
        .values_list("pk", "name")[:MAIL_CAMPAIGN_CHOICES]
    )
    return [(str(pk), name) for pk, name in campaigns]


def tag_names(tenant: Tenant) -> list[str]:
    return list(Tag.objects.for_tenant(tenant).order_by("name").values_list("name", flat=True)[:1000])


# ---------------------------------------------------------------------------------------------
# The filter in words (the list page)


def describe_filter(lead_filter: object, tenant: Tenant) -> list[str]:
    """One sentence per condition, e.g. "Industry is any of “IT”, “製造”"; [] when it has none."""
    conditions = lead_filter.get("all") if isinstance(lead_filter, dict) else None
    if not isinstance(conditions, list):
        return []
    owner_ids = {
        value
        for condition in conditions
        if isinstance(condition, dict) and condition.get("field") == "owner"
        for value in (condition.get("value") if isinstance(condition.get("value"), list) else [condition.get("value")])
        if isinstance(value, int)
    }
    owners = {user.pk: user.display_name for user in User.objects.for_tenant(tenant).filter(pk__in=owner_ids)}
    campaign_ids = {
        condition[MAIL].get("campaign")
        for condition in conditions
        if isinstance(condition, dict) and isinstance(condition.get(MAIL), dict)
    }
    campaign_ids = {value for value in campaign_ids if isinstance(value, int) and not isinstance(value, bool)}
    campaigns = dict(Campaign.objects.for_tenant(tenant).filter(pk__in=campaign_ids).values_list("pk", "name"))
    return [describe_condition(condition, owners, campaigns) for condition in conditions]


def describe_mail_condition(mail: object, campaigns: dict[int, str]) -> str:
    """E.g. "Opened the mail of “秋の新製品案内”"; "any" reads "of any campaign"."""
    if not isinstance(mail, dict) or mail.get("event") not in MAIL_EVENTS:
        return _("A condition this screen cannot show")
    event, campaign = mail["event"], mail.get("campaign")
    if campaign == ANY_CAMPAIGN:
        if event == "not_opened":
            return _("Was sent campaign mail and opened none of it")
        name = _("any campaign")
    elif isinstance(campaign, int) and campaign in campaigns:
        name = quoted(campaigns[campaign])
    else:
        name = _("Unknown campaign (id %(id)s)") % {"id": campaign}
    sentences = {
        "delivered": _("The mail of %(campaign)s was delivered"),
        "opened": _("Opened the mail of %(campaign)s"),
        "clicked": _("Clicked a link in the mail of %(campaign)s"),
        "failed": _("The mail of %(campaign)s failed or bounced"),
        "unsubscribed": _("Unsubscribed through the mail of %(campaign)s"),
        "not_opened": _("Was sent the mail of %(campaign)s and did not open it"),
    }
    return sentences[event] % {"campaign": name}


def describe_condition(condition: object, owners: dict[int, str], campaigns: dict[int, str] | None = None) -> str:
    if isinstance(condition, dict) and MAIL in condition:
        return describe_mail_condition(condition[MAIL], campaigns or {})
    if not isinstance(condition, dict) or condition.get("field") not in FIELDS:
        return _("A condition this screen cannot show")
    field_name, op, value = condition["field"], condition.get("op"), condition.get("value")
    kind = FIELDS[field_name].kind
    label = str(FIELD_LABELS[field_name])
    if kind == FLAG:
        return _("Unsubscribed: yes") if value is True else _("Unsubscribed: no")
    if kind == TAGS:
        sentences = {
            "eq": _("Has any of the tags %(value)s") if isinstance(value, list) else _("Has the tag %(value)s"),
            "in": _("Has any of the tags %(value)s"),
            "ne": _("Has none of the tags %(value)s")
            if isinstance(value, list)
            else _("Does not have the tag %(value)s"),
            "empty": _("Has no tags"),
            "not_empty": _("Has at least one tag"),
        }
        return sentences.get(op, label) % {"value": shown_values(value, kind, owners)}
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return _("%(field)s is between %(low)s and %(high)s") % {
            "field": label,
            "low": shown_value(value[0], kind, owners),
            "high": shown_value(value[1], kind, owners),
        }
    sentence = {
        "eq": (
            _("%(field)s is any of %(value)s")
            if isinstance(value, list)
            else _("%(field)s is on %(value)s")
            if kind == DATE
            else _("%(field)s is %(value)s")
        ),
        "in": _("%(field)s is any of %(value)s"),
        "ne": _("%(field)s is none of %(value)s") if isinstance(value, list) else _("%(field)s is not %(value)s"),
        "contains": _("%(field)s contains %(value)s"),
        "startswith": _("%(field)s starts with %(value)s"),
        "empty": _("%(field)s is empty"),
        "not_empty": _("%(field)s is not empty"),
        "gte": _("%(field)s is on or after %(value)s") if kind == DATE else _("%(field)s is at least %(value)s"),
        "lte": _("%(field)s is on or before %(value)s") if kind == DATE else _("%(field)s is at most %(value)s"),
        "before": _("%(field)s is before %(value)s"),
        "after": _("%(field)s is after %(value)s"),
    }.get(op, "%(field)s")
    if kind == OWNER and op == "empty":
        sentence = _("%(field)s is not set")
    elif kind == OWNER and op == "not_empty":
        sentence = _("%(field)s is set")
    return sentence % {"field": label, "value": shown_values(value, kind, owners)}


def shown_values(value: object, kind: str, owners: dict[int, str]) -> str:
    values = value if isinstance(value, list) else [value]
    separator = "、" if (get_language() or "").startswith("ja") else ", "
    return separator.join(shown_value(item, kind, owners) for item in values)


def shown_value(value: object, kind: str, owners: dict[int, str]) -> str:
    if kind == NUMBER and isinstance(value, int) and not isinstance(value, bool):
        return intcomma(value)
    if kind == STATUS and value in LeadStatus.values:
        return quoted(str(LeadStatus(value).label))
    if kind == OWNER:
        return quoted(owners.get(value, _("Unknown user (id %(id)s)") % {"id": value}))
    if kind == DATE and isinstance(value, str):
        return shown_date(value)
    return quoted(str(value))


def shown_date(value: str) -> str:
    """2026/11/26, or 2026/11/26 10:03 (Asia/Tokyo) for a date-time, as the product shows dates."""
    try:
        if DATE_TEXT.fullmatch(value):
            return date.fromisoformat(value).strftime("%Y/%m/%d")
        instant = datetime.fromisoformat(value)
        if timezone.is_naive(instant):
            instant = instant.replace(tzinfo=FILTER_TIMEZONE)
        return instant.astimezone(FILTER_TIMEZONE).strftime("%Y/%m/%d %H:%M")
    except (ValueError, OverflowError):
        return quoted(value)


def quoted(text: str) -> str:
    return _("“%(text)s”") % {"text": text}
