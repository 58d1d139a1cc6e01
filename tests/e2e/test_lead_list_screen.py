"""The filter screen (絞り込み) in a real browser: htmx rows, live count, row errors, save, delete."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import LeadList
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def settled(row) -> None:
    """htmx has swapped the row in and bound its controls (it keeps focus on the same id at once,
    binds the new controls a moment later; a person is never that fast, a test is)."""
    expect(row).not_to_have_class(re.compile(r"htmx-added"))


def preview_count(page):
    return page.locator("#list-preview .preview-count")


def test_build_a_list_with_live_count_then_save_and_delete(page, tenant_a, tenant_b, bob):
    factories.make_lead(tenant_a, company_name="青空システム", industry="IT", employees=120)
    factories.make_lead(tenant_a, company_name="富士工業", industry="製造", employees=800)
    factories.make_lead(tenant_a, company_name="さくら銀行", industry="金融", employees=3000)
    factories.make_lead(tenant_b, company_name="ベータの顧客", industry="IT", employees=120)
    log_in(page, bob.email)
    # English UI: the texts checked here do not change when the Japanese catalogue grows
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    page.reload()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Lead lists").click()
    page.locator("a.button.primary").first.click()
    page.wait_for_url(re.compile(r"/leads/lists/new/$"))
    expect(preview_count(page)).to_contain_text("3")

    page.locator("#id_name").fill("IT・製造の中堅")
    rows = page.locator(".filter-row")
    first = rows.nth(0)
    # choosing a field redraws the row (htmx) with that field's ops, keeping focus on the field
    first.get_by_label("Condition field").select_option("industry")
    expect(first.get_by_label("Condition field")).to_be_focused()
    settled(first)
    first.get_by_label("Condition comparison").select_option("in")
    first.locator("textarea").fill("IT\n製造")
    expect(preview_count(page)).to_contain_text("2")
    expect(page.locator("#list-preview")).to_contain_text("富士工業")
    expect(page.locator("#list-preview")).not_to_contain_text("ベータの顧客")

    # add a row: it arrives focused; a number range needs two inputs
    page.locator(".add-row").click()
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    expect(second.get_by_label("Condition field")).to_be_focused()
    settled(second)
    second.get_by_label("Condition field").select_option("employees")
    expect(second.get_by_label("Range end")).to_be_visible()
    expect(second.get_by_label("Condition field")).to_be_focused()
    second.get_by_label("Range start").fill("abc")
    second.get_by_label("Range end").fill("1000")
    expect(second.locator(".filter-row-message")).to_contain_text("abc")
    expect(page.locator("#list-preview")).not_to_contain_text("富士工業")
    second.get_by_label("Range start").fill("500")
    expect(second.locator(".filter-row-message")).to_have_text("")
    expect(preview_count(page)).to_contain_text("1")

    # a third row removed again: the count follows
    page.locator(".add-row").click()
    third = rows.nth(2)
    expect(third.get_by_label("Condition field")).to_be_focused()
    settled(third)
    third.get_by_label("Condition field").select_option("status")
    expect(third.locator(".filter-op option")).to_have_count(3)  # redrawn: status ops
    settled(third)
    third.get_by_label("Condition comparison").select_option("eq")
    third.get_by_label("Condition value").select_option("won")
    expect(preview_count(page)).to_contain_text("0")
    third.get_by_role("button", name="Remove this condition").click()
    expect(rows).to_have_count(2)
    expect(page.locator(".add-row")).to_be_focused()
    expect(preview_count(page)).to_contain_text("1")

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/leads/lists/\d+/$"))
    lead_list = LeadList.objects.get()
    assert lead_list.filter == {
        "all": [
            {"field": "industry", "op": "in", "value": ["IT", "製造"]},
            {"field": "employees", "op": "between", "value": [500, 1000]},
        ]
    }
    expect(page.locator("main")).to_contain_text("富士工業")
    expect(page.locator("main")).not_to_contain_text("青空システム")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/leads/lists/$"))
    assert not LeadList.objects.exists()
