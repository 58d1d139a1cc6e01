"""Lead list screens (L3): index with counts, the filter screen (create, edit, live preview, rows),
the list page, delete, and another tenant's ids answering 404."""

import re

import pytest
from django.conf import settings as django_settings

from leads.filter_form import read_filter_screen, rows_as_posted, rows_from_filter
from leads.management.commands.seed_demo import DEMO_LISTS
from leads.models import Lead, LeadList, Suppression
from tests import factories


@pytest.fixture
def english(bob_client):
    """Texts are checked in English; the Japanese ones come from the catalogue."""
    bob_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return bob_client


@pytest.fixture
def leads(tenant_a, tenant_b, bob):
    factories.make_lead(tenant_a, company_name="青空システム", industry="IT", employees=120, owner=bob, tags=["展示会"])
    factories.make_lead(tenant_a, company_name="富士工業", industry="製造", employees=800)
    factories.make_lead(tenant_a, company_name="さくら銀行", industry="金融", employees=3000, email="info@sakura.jp")
    factories.make_lead(tenant_b, company_name="ベータの顧客", industry="IT", employees=120)
    Suppression.objects.create(tenant=tenant_a, email_normalized="info@sakura.jp", reason="unsubscribed")


def screen(name="", *rows):
    """The filter screen's POST: rows are (field, op, value) or (field, op, value, value2)."""
    data = {"name": name, "row": []}
    for number, row in enumerate(rows):
        key = f"k{number}"
        field, op, value, *rest = row
        data["row"].append(key)
        data[f"cond-{key}-field"] = field
        data[f"cond-{key}-op"] = op
        data[f"cond-{key}-value"] = value
        if rest:
            data[f"cond-{key}-value2"] = rest[0]
    return data


def row_message(body: str, key: str) -> str:
    match = re.search(rf'<p id="filter-error-{key}"[^>]*>(.*?)</p>', body, re.S)
    assert match, f"no message slot for row {key}"
    return match.group(1).strip()


def bulk_leads(tenant, count, **fields):
    Lead.objects.bulk_create(
        [
            Lead(tenant=tenant, email=f"bulk{n}@example.jp", email_normalized=f"bulk{n}@example.jp", **fields)
            for n in range(count)
        ]
    )


# --- Index -----------------------------------------------------------------------------------


def test_index_shows_each_list_with_its_count_now_and_update_time(english, tenant_a, leads):
    it_list = factories.make_lead_list(
        tenant_a, name="IT企業", filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]}
    )
    factories.make_lead_list(tenant_a, name="全員")
    LeadList.objects.filter(pk=it_list.pk).update(updated_at="2026-11-26T01:03:00Z")
    body = english.get("/leads/lists/").content.decode()
    assert "IT企業" in body and "全員" in body
    assert re.search(r'<td class="num">1</td>', body)  # IT: tenant B's IT lead is not counted
    assert re.search(r'<td class="num">3</td>', body)
    assert "2026/11/26 10:03" in body  # Asia/Tokyo
    assert f'href="/leads/lists/{it_list.pk}/"' in body
    assert f'href="/leads/lists/{it_list.pk}/edit/"' in body
    assert 'href="/leads/lists/new/"' in body
    factories.make_lead(tenant_a, industry="IT")
    assert re.search(r'<td class="num">2</td>', english.get("/leads/lists/").content.decode())


def test_index_counts_have_thousands_separators(english, tenant_a):
    bulk_leads(tenant_a, 1234, industry="IT")
    factories.make_lead_list(tenant_a, name="大きなリスト")
    assert '<td class="num">1,234</td>' in english.get("/leads/lists/").content.decode()


def test_index_empty_state_says_what_to_do(english, tenant_a):
    body = english.get("/leads/lists/").content.decode()
    assert "There are no lead lists yet." in body
    assert "Create a new list" in body


def test_index_is_in_the_sidebar_and_japanese_by_default(bob_client):
    body = bob_client.get("/leads/lists/").content.decode()
    assert 'href="/leads/lists/" aria-current="page">リードリスト</a>' in body


def test_index_shows_a_list_whose_filter_became_invalid(english, tenant_a, bob):
    ghost = factories.make_user(tenant_a, name="退職者")
    factories.make_lead_list(
        tenant_a, name="退職者の担当", filter={"all": [{"field": "owner", "op": "eq", "value": ghost.pk}]}
    )
    ghost.delete()
    response = english.get("/leads/lists/")
    assert response.status_code == 200
    assert "Conditions need fixing" in response.content.decode()


# --- Creating a list through the filter screen -------------------------------------------------


def test_new_list_screen_starts_with_one_row_and_every_lead_in_the_preview(english, leads):
    body = english.get("/leads/lists/new/").content.decode()
    assert 'name="name"' in body
    assert body.count('class="filter-row"') == 1
    assert "Matching leads: 3" in body
    assert 'hx-post="/leads/lists/preview/"' in body
    assert 'hx-trigger="change, input delay:400ms, filter-changed"' in body
    assert "<script>" not in body.replace('<script src="', "")  # no inline scripts (CSP)
    assert "mail" in re.findall(r'<option value="(\w+)"', body)  # mail activity is offered (L3)


def test_create_list_through_the_form(english, tenant_a, bob, leads):
    response = english.post(
        "/leads/lists/new/",
        screen(
            "IT・製造の中堅",
            ("industry", "in", "IT\n製造"),
            ("employees", "between", "50", "1000"),
            ("unsubscribed", "is", "false"),
        ),
    )
    lead_list = LeadList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/leads/lists/{lead_list.pk}/"
    assert lead_list.tenant == tenant_a
    assert lead_list.created_by == bob
    assert lead_list.filter == {
        "all": [
            {"field": "industry", "op": "in", "value": ["IT", "製造"]},
            {"field": "employees", "op": "between", "value": [50, 1000]},
            {"field": "unsubscribed", "op": "is", "value": False},
        ]
    }
    page = english.get(response["Location"]).content.decode()
    assert "The list “IT・製造の中堅” was saved." in page
    assert "青空システム" in page and "富士工業" in page and "さくら銀行" not in page


def test_create_list_with_status_owner_tags_and_dates(english, bob, leads):
    english.post(
        "/leads/lists/new/",
        screen(
            "組み合わせ",
            ("status", "in", ["new", "contacted"]),
            ("owner", "eq", str(bob.pk)),
            ("tags", "eq", "展示会, ウェビナー"),
            ("created_at", "after", "2026/1/5"),
            ("company_name", "contains", "システム，工業"),
            ("employees", "in", "１２０ 800"),
        ),
    )
    assert LeadList.objects.get().filter["all"] == [
        {"field": "status", "op": "in", "value": ["new", "contacted"]},
        {"field": "owner", "op": "eq", "value": bob.pk},
        {"field": "tags", "op": "eq", "value": ["展示会", "ウェビナー"]},
        {"field": "created_at", "op": "after", "value": "2026-01-05"},
        {"field": "company_name", "op": "contains", "value": ["システム", "工業"]},
        {"field": "employees", "op": "in", "value": [120, 800]},
    ]


def test_save_shows_each_error_next_to_its_row_and_saves_nothing(english, leads):
    response = english.post(
        "/leads/lists/new/",
        screen("", ("industry", "eq", "IT"), ("employees", "gte", "many"), ("prefecture", "eq", "")),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert not LeadList.objects.exists()
    assert row_message(body, "k0") == ""
    assert row_message(body, "k1") == "&quot;many&quot; is not a whole number."
    assert row_message(body, "k2") == "Enter a value for this condition."
    assert "This field is required." in body  # the list name
    assert 'value="many"' in body  # what the person typed is kept


def test_numbers_with_commas_are_refused_not_guessed(english, leads):
    body = english.post("/leads/lists/new/", screen("x", ("employees", "eq", "1,000"))).content.decode()
    assert "Write numbers without commas" in row_message(body, "k0")
    assert not LeadList.objects.exists()


def test_owner_of_another_tenant_is_refused_on_the_screen(english, charlie, leads):
    body = english.post("/leads/lists/new/", screen("x", ("owner", "eq", str(charlie.pk)))).content.decode()
    assert f"User id {charlie.pk} is not a user of your company." in row_message(body, "k0")
    assert "茶 チャーリー" not in body
    assert not LeadList.objects.exists()


def test_more_than_fifty_conditions_is_a_general_error(english, leads):
    rows = [("industry", "eq", "IT")] * 51
    body = english.post("/leads/lists/new/", screen("x", *rows)).content.decode()
    assert "A filter may have at most 50 conditions; this one has 51." in body
    assert not LeadList.objects.exists()


def test_a_list_without_conditions_holds_every_lead(english, tenant_a, leads):
    english.post("/leads/lists/new/", screen("全リード"))
    assert LeadList.objects.get().filter == {"all": []}


# --- Live preview --------------------------------------------------------------------------------


def test_preview_shows_the_live_count_and_matching_leads(english, leads):
    response = english.post(
        "/leads/lists/preview/", screen("", ("employees", "gte", "100"), ("unsubscribed", "is", "false"))
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Matching leads: 2" in body
    assert "青空システム" in body and "富士工業" in body
    assert "さくら銀行" not in body and "ベータの顧客" not in body
    assert row_message(body, "k0") == "" and 'hx-swap-oob="true"' in body


def test_preview_shows_the_error_next_to_the_offending_row(english, leads):
    body = english.post(
        "/leads/lists/preview/", screen("", ("industry", "eq", "IT"), ("employees", "between", "1000", "50"))
    ).content.decode()
    assert "Matching leads" not in body
    assert row_message(body, "k1") == "The first value of &quot;between&quot; must not be greater than the second."
    assert row_message(body, "k0") == ""


def test_preview_leaves_rows_without_a_value_out_with_a_note(english, leads):
    body = english.post(
        "/leads/lists/preview/", screen("", ("industry", "eq", "IT"), ("company_name", "contains", ""))
    ).content.decode()
    assert "Matching leads: 1" in body
    assert row_message(body, "k1") == "This condition applies once it has a value."


def test_preview_and_list_page_say_when_nothing_matches(english, tenant_a, leads):
    body = english.post("/leads/lists/preview/", screen("", ("status", "eq", "won"))).content.decode()
    assert "Matching leads: 0" in body
    assert "No lead matches these conditions." in body
    lead_list = factories.make_lead_list(tenant_a, filter={"all": [{"field": "status", "op": "eq", "value": "won"}]})
    page = english.get(f"/leads/lists/{lead_list.pk}/").content.decode()
    assert "Matching leads: 0" in page
    assert "No lead matches these conditions now." in page


def test_preview_count_has_thousands_separators_and_pages(english, tenant_a):
    bulk_leads(tenant_a, 1234, industry="IT", company_name="大量")
    body = english.post("/leads/lists/preview/", screen("", ("industry", "eq", "IT"))).content.decode()
    assert "Matching leads: 1,234" in body
    assert "Page 1 of 62" in body
    assert 'hx-vals=\'{"page": "2"}\'' in body
    second = english.post(
        "/leads/lists/preview/", {**screen("", ("industry", "eq", "IT")), "page": "2"}
    ).content.decode()
    assert "Page 2 of 62" in second


def test_preview_is_post_only(bob_client):
    assert bob_client.get("/leads/lists/preview/").status_code == 405


# --- Condition rows (htmx partials) -------------------------------------------------------------


def test_add_row_returns_a_new_labelled_row_with_focus(english):
    body = english.get("/leads/lists/filter-row/").content.decode()
    key = re.search(r'name="row" value="([a-z0-9]+)"', body).group(1)
    assert f'<label class="visually-hidden" for="cond-{key}-field">Condition field</label>' in body
    assert f'<label class="visually-hidden" for="cond-{key}-op">Condition comparison</label>' in body
    assert f'<label class="visually-hidden" for="cond-{key}-value">Condition value</label>' in body
    assert "autofocus" in body
    assert 'aria-label="Remove this condition"' in body


def test_changing_the_field_redraws_the_row_for_that_kind_of_value(english, alice, bob, charlie):
    def row(**params):
        response = english.get(
            "/leads/lists/filter-row/", {"row": "abc", **params}, HTTP_HX_TRIGGER_NAME="cond-abc-field"
        )
        assert "filter-changed" in response["HX-Trigger-After-Settle"]
        return response.content.decode()

    status = row(**{"cond-abc-field": "status", "cond-abc-op": "contains", "cond-abc-kind": "text"})
    assert '<option value="in" selected>is any of</option>' in status  # contains is not a status op
    assert 'type="checkbox" name="cond-abc-value" value="new"' in status
    assert "Not contacted" in status
    owner = row(**{"cond-abc-field": "owner", "cond-abc-op": "eq"})
    assert "坊 ボブ" in owner and "有栖 アリス" in owner and "茶 チャーリー" not in owner
    unsubscribed = row(**{"cond-abc-field": "unsubscribed"})
    assert '<input type="hidden" name="cond-abc-op" value="is">' in unsubscribed
    assert "Unsubscribed: yes" in unsubscribed and "Unsubscribed: no" in unsubscribed
    between = row(**{"cond-abc-field": "employees", "cond-abc-op": "between", "cond-abc-kind": "number"})
    assert 'name="cond-abc-value2"' in between and ">Range start<" in between and ">Range end<" in between
    many = row(**{"cond-abc-field": "industry", "cond-abc-op": "in", "cond-abc-kind": "text", "cond-abc-value": "IT"})
    assert "<textarea" in many and ">IT</textarea>" in many
    date = row(**{"cond-abc-field": "created_at", "cond-abc-op": "before"})
    assert 'type="date"' in date
    emptied = row(**{"cond-abc-field": "employees", "cond-abc-op": "empty", "cond-abc-kind": "number"})
    assert 'name="cond-abc-value"' not in emptied


def test_changing_to_another_kind_of_field_clears_the_value(english):
    body = english.get(
        "/leads/lists/filter-row/",
        {"row": "abc", "cond-abc-field": "employees", "cond-abc-kind": "text", "cond-abc-value": "株式会社"},
    ).content.decode()
    assert "株式会社" not in body


# --- Editing, the list page, deleting -------------------------------------------------------------


@pytest.fixture
def it_list(tenant_a, bob, leads):
    return factories.make_lead_list(
        tenant_a,
        name="IT企業（配信停止なし）",
        filter={
            "all": [
                {"field": "industry", "op": "eq", "value": ["IT", "製造"]},
                {"field": "employees", "op": "between", "value": [50, 1000]},
                {"field": "owner", "op": "ne", "value": bob.pk},
                {"field": "unsubscribed", "op": "is", "value": False},
            ]
        },
    )


def test_edit_screen_shows_the_saved_conditions(english, it_list, bob):
    body = english.get(f"/leads/lists/{it_list.pk}/edit/").content.decode()
    assert 'value="IT企業（配信停止なし）"' in body
    assert body.count('class="filter-row"') == 4
    assert "IT\n製造</textarea>" in body  # eq with several values is shown as "is any of"
    assert 'name="cond-r1-value" value="50"' in body and 'name="cond-r1-value2" value="1000"' in body
    assert f'<option value="{bob.pk}" selected>' in body
    assert '<option value="false" selected>Unsubscribed: no</option>' in body
    assert "Matching leads: 1" in body  # 富士工業: 800 employees, no owner


def test_edit_saves_name_and_conditions(english, it_list):
    response = english.post(f"/leads/lists/{it_list.pk}/edit/", screen("金融", ("industry", "eq", "金融")))
    assert response.status_code == 302
    it_list.refresh_from_db()
    assert it_list.name == "金融"
    assert it_list.filter == {"all": [{"field": "industry", "op": "eq", "value": "金融"}]}
    assert LeadList.objects.count() == 1


def test_detail_describes_the_filter_in_words_and_lists_the_leads(english, it_list, bob):
    body = english.get(f"/leads/lists/{it_list.pk}/").content.decode()
    assert "IT企業（配信停止なし）" in body
    assert "Industry is any of “IT”, “製造”" in body
    assert "Employees is between 50 and 1,000" in body
    assert "Owner is not “坊 ボブ”" in body
    assert "Unsubscribed: no" in body
    assert "Matching leads: 1" in body
    assert "富士工業" in body and "青空システム" not in body
    assert f'action="/leads/lists/{it_list.pk}/delete/"' in body and "data-confirm=" in body
    assert f'href="/leads/lists/{it_list.pk}/edit/"' in body


def test_detail_paginates_the_leads(english, tenant_a):
    bulk_leads(tenant_a, 60, industry="IT")
    lead_list = factories.make_lead_list(
        tenant_a, name="IT", filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]}
    )
    first = english.get(f"/leads/lists/{lead_list.pk}/").content.decode()
    assert "Page 1 of 2" in first and "Matching leads: 60" in first
    assert "Page 2 of 2" in english.get(f"/leads/lists/{lead_list.pk}/", {"page": 2}).content.decode()


def test_detail_of_a_list_whose_filter_became_invalid_shows_the_error(english, tenant_a, leads):
    ghost = factories.make_user(tenant_a, name="退職者")
    lead_list = factories.make_lead_list(
        tenant_a, name="退職者の担当", filter={"all": [{"field": "owner", "op": "eq", "value": ghost.pk}]}
    )
    ghost_id = ghost.pk
    ghost.delete()
    response = english.get(f"/leads/lists/{lead_list.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"User id {ghost_id} is not a user of your company." in body
    assert "Edit the conditions to fix them." in body
    edit = english.get(f"/leads/lists/{lead_list.pk}/edit/").content.decode()
    assert f"User id {ghost_id} is not a user of your company." in row_message(edit, "r0")
    assert f"Unknown user (id {ghost_id})" in edit


def test_delete_asks_once_and_removes_the_list_not_the_leads(english, it_list):
    assert english.get(f"/leads/lists/{it_list.pk}/delete/").status_code == 405
    response = english.post(f"/leads/lists/{it_list.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/leads/lists/"
    assert "was deleted" in response.content.decode()
    assert not LeadList.objects.exists()
    assert Lead.objects.count() == 4


def test_export_downloads_the_leads_the_list_matches_now(english, it_list):
    detail = english.get(f"/leads/lists/{it_list.pk}/").content.decode()
    assert f'href="/leads/lists/{it_list.pk}/export/"' in detail
    response = english.get(f"/leads/lists/{it_list.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''IT%E4%BC%81%E6%A5%AD" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "富士工業" in text
    assert "青空システム" not in text and "さくら銀行" not in text and "ベータの顧客" not in text


def test_export_of_a_list_whose_filter_became_invalid_explains_instead(english, tenant_a):
    ghost = factories.make_user(tenant_a)
    lead_list = factories.make_lead_list(tenant_a, filter={"all": [{"field": "owner", "op": "eq", "value": ghost.pk}]})
    ghost.delete()
    response = english.get(f"/leads/lists/{lead_list.pk}/export/", follow=True)
    assert response.redirect_chain[-1][0] == f"/leads/lists/{lead_list.pk}/"
    assert "is not a user of your company" in response.content.decode()


# --- Another tenant --------------------------------------------------------------------------------


def test_another_tenant_gets_404_for_every_list_screen(charlie_client, it_list):
    before = LeadList.objects.values().get()
    for path in (f"/leads/lists/{it_list.pk}/", f"/leads/lists/{it_list.pk}/edit/"):
        assert charlie_client.get(path).status_code == 404
    assert charlie_client.post(f"/leads/lists/{it_list.pk}/edit/", screen("乗っ取り")).status_code == 404
    assert charlie_client.post(f"/leads/lists/{it_list.pk}/delete/").status_code == 404
    assert charlie_client.get(f"/leads/lists/{it_list.pk}/export/").status_code == 404
    assert LeadList.objects.values().get() == before
    assert "IT企業" not in charlie_client.get("/leads/lists/").content.decode()


def test_signed_out_people_are_sent_to_login(client, it_list):
    response = client.get(f"/leads/lists/{it_list.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Rows and filter JSON round trip -------------------------------------------------------------


@pytest.mark.parametrize("lead_filter", [lead_filter for _name, lead_filter in DEMO_LISTS])
def test_demo_lists_survive_the_round_trip_through_the_screen(tenant_a, lead_filter):
    rows, message = rows_from_filter(lead_filter)
    screen_read = read_filter_screen(rows_as_posted(rows), tenant_a, complete=True)
    assert message == ""
    assert screen_read.lead_filter == lead_filter


def test_round_trip_of_every_kind_of_condition(tenant_a, bob):
    lead_filter = {
        "all": [
            {"field": "company_name", "op": "contains", "value": ["株式会社", "有限会社"]},
            {"field": "email", "op": "startswith", "value": "info@"},
            {"field": "website", "op": "empty"},
            {"field": "employees", "op": "ne", "value": 50},
            {"field": "employees", "op": "lte", "value": 1000},
            {"field": "created_at", "op": "between", "value": ["2026-01-01", "2026-03-31"]},
            {"field": "updated_at", "op": "eq", "value": ["2026-01-01", "2026-01-02"]},
            {"field": "created_at", "op": "before", "value": "2026-01-10T10:00:00+09:00"},
            {"field": "status", "op": "ne", "value": "lost"},
            {"field": "owner", "op": "in", "value": [bob.pk]},
            {"field": "tags", "op": "ne", "value": "重要"},
            {"field": "tags", "op": "not_empty"},
            {"field": "unsubscribed", "op": "is", "value": True},
        ]
    }
    rows, _message = rows_from_filter(lead_filter)
    assert read_filter_screen(rows_as_posted(rows), tenant_a, complete=True).lead_filter == lead_filter
