"""A rep's first hour, in Japanese, in Chromium: import a CP932 CSV, filter it into a list, find the list."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadList
from tests.e2e.conftest import log_in
from tests.e2e.test_lead_list_screen import preview_count, settled

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CSV_ROWS = [
    "会社名,姓,名,メールアドレス,業種,都道府県,従業員数",
    "青空システム株式会社,山田,太郎,yamada@aozora.example.jp,IT,東京都,120",
    "富士工業株式会社,佐藤,花子,sato@fuji-kogyo.example.jp,製造,静岡県,800",
    "さくら銀行,鈴木,一郎,suzuki@sakura-bank.example.jp,金融,東京都,3000",
    "みなと物流,高橋,次郎,takahashi@minato.example.jp,IT,大阪府,45",
    "壊れた行,田中,三郎,メールではない,IT,東京都,10",
]


def choose(page, row, label: str, value: str) -> None:
    """Pick a field or comparison: htmx redraws the row; wait for the redrawn row before typing into it."""
    with page.expect_response(re.compile(r"/leads/lists/filter-row/")):
        row.get_by_label(label).select_option(value)
    settled(row)


def test_rep_imports_a_cp932_csv_and_saves_a_two_condition_list(page, tmp_path, tenant_a, bob):
    csv_file = tmp_path / "顧客一覧.csv"
    csv_file.write_bytes(("\r\n".join(CSV_ROWS) + "\r\n").encode("cp932"))
    log_in(page, bob.email)

    page.get_by_role("link", name="CSVインポート").click()
    page.get_by_label("CSVファイル").set_input_files(str(csv_file))
    page.get_by_role("button", name="アップロードして次へ").click()

    # mapping: the Japanese headers were recognised, the preview is readable Japanese (not mojibake)
    expect(page.locator(".preview-table")).to_contain_text("青空システム株式会社")
    expect(page.get_by_label("会社名", exact=True)).to_have_value("company_name")
    expect(page.get_by_label("従業員数")).to_have_value("employees")
    page.get_by_role("button", name="取り込む").click()

    expect(page.locator("#import-created")).to_have_text("4")
    expect(page.locator("#import-skipped")).to_have_text("1")
    expect(page.locator(".errors-table")).to_contain_text("メールではない")
    assert Lead.objects.for_tenant(tenant_a).get(email="sato@fuji-kogyo.example.jp").company_name == "富士工業株式会社"

    page.get_by_role("navigation").get_by_role("link", name="リードリスト").click()
    page.get_by_role("link", name="新しいリストを作成").first.click()
    page.wait_for_url(re.compile(r"/leads/lists/new/$"))
    expect(preview_count(page)).to_contain_text("4")
    page.get_by_label("リスト名").fill("東京のIT・金融")

    rows = page.locator(".filter-row")
    first = rows.nth(0)
    choose(page, first, "条件の項目", "prefecture")
    choose(page, first, "比較方法", "eq")
    first.get_by_label("条件の値").fill("東京都")
    expect(preview_count(page)).to_contain_text("2")

    page.get_by_role("button", name="条件を追加").click()
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    settled(second)
    choose(page, second, "条件の項目", "employees")
    choose(page, second, "比較方法", "gte")
    second.get_by_label("条件の値").fill("1000")
    expect(preview_count(page)).to_contain_text("1")
    expect(page.locator("#list-preview")).to_contain_text("さくら銀行")
    expect(page.locator("#list-preview")).not_to_contain_text("青空システム株式会社")

    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/leads/lists/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("リスト「東京のIT・金融」を保存しました。")

    page.get_by_role("navigation").get_by_role("link", name="リードリスト").click()
    saved_row = page.locator("table.lead-lists tbody tr", has_text="東京のIT・金融")
    expect(saved_row.locator("td.num")).to_have_text("1")
    assert LeadList.objects.for_tenant(tenant_a).get().created_by == bob
