"""The hostile corpus in the places that are not free text: ids, numbers, choices, dates, query parameters.

A screen answers its page (a value it cannot use is ignored or shown as an error beside its field);
the API answers 400 naming the field, or 404 for an id that is no object of the tenant; none answers 500.
"""

from __future__ import annotations

import pytest

from tests.campaign_world import make_campaign
from tests.test_hostile_inputs import Findings, answers_500s, check_page, hostile_values, post_form, send_json

pytestmark = pytest.mark.django_db


def raw(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


# Ids, numbers, choices and dates are parsed, not stored: the kinds of values that trip parsers (number and
# JSON look-alikes, odd Unicode digits, controls, SQL) go through them; markup only where a page reflects it.
PARSER_KINDS = ("filter_language", "unicode", "control", "sql")


def parser_values():
    return [hostile for hostile in hostile_values() if hostile.kind in PARSER_KINDS]


def reflected_values():
    return [hostile for hostile in hostile_values() if hostile.kind in (*PARSER_KINDS, "xss")]


def test_screens_take_any_value_as_an_id_choice_or_page(bob_client, tenant_a, bob, draft):
    screens = answers_500s(bob_client)
    findings = Findings()
    for hostile in reflected_values():
        value = raw(hostile.value)
        count = screens.get("/campaigns/recipient-count/", {"lead_list": value})
        findings.check(count.status_code in (200, 404), hostile, f"recipient count answered {count.status_code}")
        for url, params in (
            ("/leads/", {"q": value, "sort": value, "page": value, "x": value}),  # search box, pagination links
        ):
            check_page(findings, screens.get(url, params), f"{url} {hostile}", [hostile.value])
        if hostile.kind != "xss":
            progress = screens.get(f"/campaigns/{draft.pk}/progress/", {"shown": value})
            findings.check(progress.status_code == 200, hostile, f"progress answered {progress.status_code}")
        row = screens.get(
            "/leads/lists/filter-row/",
            {"row": value, "cond-k1-field": value, "cond-k1-op": value, "cond-k1-kind": value},
        )
        findings.check(row.status_code == 200, hostile, f"filter row answered {row.status_code}")
    findings.assert_none()


KINDS_OF_ROWS = {  # field -> op: a row of each kind of the filter screen, every one given the value
    "employees": "eq",
    "created_at": "after",
    "status": "in",
    "owner": "in",
    "tags": "eq",
    "unsubscribed": "is",
    "mail": "opened",
}


def test_filter_screen_rows_of_every_kind_take_any_value(bob_client, tenant_a):
    screens = answers_500s(bob_client)
    findings = Findings()
    for hostile in parser_values():
        data = {"row": [f"r{number}" for number in range(len(KINDS_OF_ROWS))], "name": "一覧"}
        for number, (field, op) in enumerate(KINDS_OF_ROWS.items()):
            key = f"r{number}"
            data |= {f"cond-{key}-field": field, f"cond-{key}-op": op, f"cond-{key}-value": hostile.value}
            data[f"cond-{key}-value2"] = hostile.value
        preview = post_form(screens, "/leads/lists/preview/", data)
        check_page(findings, preview, f"preview {hostile}", [hostile.value])
    findings.assert_none()


def test_api_ids_numbers_choices_and_dates_are_refused_by_name(bob_api, tenant_a, bob, ready_list):
    api = answers_500s(bob_api)
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list)
    findings = Findings()
    for hostile in parser_values():
        value = hostile.value
        lead = send_json(api, "post", "/api/v1/leads/", {"email": "n@example.jp", "employees": value, "owner": value})
        findings.check(lead.status_code in (201, 400), hostile, f"lead answered {lead.status_code}")
        status = send_json(api, "post", "/api/v1/leads/", {"email": "n@example.jp", "status": value})
        findings.check(status.status_code == 400 and set(status.json()) == {"status"}, hostile, "status not refused")
        created = send_json(api, "post", "/api/v1/campaigns/", {"name": "案内", "lead_list": value})
        findings.check(created.status_code in (400, 404), hostile, f"lead_list answered {created.status_code}")
        flags = send_json(api, "patch", f"/api/v1/campaigns/{campaign.pk}/", {"notify_open": value})
        findings.check(flags.status_code in (200, 400), hostile, f"notify_open answered {flags.status_code}")
        when = send_json(api, "post", f"/api/v1/campaigns/{campaign.pk}/schedule/", {"scheduled_at": value})
        findings.check(when.status_code == 400, hostile, f"schedule answered {when.status_code}")
        for conditions in (
            [{"field": "created_at", "op": "after", "value": value}],
            [{"mail": {"campaign": value, "event": "opened"}}],
            [{"field": value, "op": value, "value": value}],
        ):
            preview = send_json(api, "post", "/api/v1/lead-lists/preview/", {"filter": {"all": conditions}})
            valid = conditions[0].get("mail", {}).get("campaign") == "any"  # "any": a campaign condition's own word
            findings.check(preview.status_code == (200 if valid else 400), hostile, f"preview {preview.status_code}")
        pages = api.get("/api/v1/leads/", {"page": raw(value), "page_size": raw(value), "sort": raw(value)})
        findings.check(pages.status_code in (200, 400, 404), hostile, f"paging answered {pages.status_code}")
    findings.assert_none()
