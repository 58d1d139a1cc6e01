"""CSV import of leads (L2): the service, and the upload -> mapping -> result screens."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.test import override_settings

from leads import csv_import
from leads.csv_import import ImportFileError, import_leads, read_header_and_sample
from leads.models import Lead, LeadStatus
from tests import factories

JA_HEADER = [
    "会社名",
    "姓",
    "名",
    "メールアドレス",
    "電話番号",
    "部署",
    "役職",
    "業種",
    "都道府県",
    "従業員数",
    "Webサイト",
    "ステータス",
    "タグ",
    "担当者",
]


def csv_text(rows: list[list[str]]) -> str:
    def cell(value: str) -> str:
        if any(char in value for char in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(",".join(cell(value) for value in row) + "\r\n" for row in rows)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return csv_text(rows).encode(encoding)


def run(tenant, data: bytes, **options) -> csv_import.ImportResult:
    return import_leads(tenant=tenant, file=io.BytesIO(data), **options)


def errors_by_row(result) -> dict[int, list[str]]:
    rows: dict[int, list[str]] = {}
    for error in result.errors:
        rows.setdefault(error.row, []).append(error.message)
    return rows


@pytest.fixture(params=["arrays", "orm"])
def write_path(request, monkeypatch) -> str:
    """Upserts run both ways: set-based SQL over arrays (PostgreSQL) and the ORM's bulk calls (SQLite)."""
    monkeypatch.setattr(csv_import, "USE_POSTGRESQL_BULK_SQL", request.param == "arrays")
    return request.param


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path) -> Path:
    settings.LEAD_IMPORT_DIR = tmp_path / "imports"
    return settings.LEAD_IMPORT_DIR


# ---------------------------------------------------------------------------------------------
# Encodings


def test_utf8_file_with_japanese_headers_imports_every_field(tenant_a, bob, write_path):
    data = csv_bytes(
        [
            JA_HEADER,
            [
                "株式会社青空商事",
                "佐藤",
                "翔太",
                "Shota.Sato@Aozora.co.jp",
                "03-1234-5678",
                "営業部",
                "部長",
                "IT",
                "東京都",
                "1,200",
                "https://www.aozora.co.jp/",
                "商談化",
                "展示会2026; 重要顧客",
                "bob@alpha.example",
            ],
        ]
    )
    result = run(tenant_a, data)
    assert (result.created, result.updated, result.errors) == (1, 0, [])
    lead = Lead.objects.for_tenant(tenant_a).get()
    assert lead.company_name == "株式会社青空商事"
    assert (lead.last_name, lead.first_name) == ("佐藤", "翔太")
    assert lead.email == "Shota.Sato@Aozora.co.jp"
    assert lead.email_normalized == "shota.sato@aozora.co.jp"
    assert (lead.phone, lead.department, lead.title) == ("03-1234-5678", "営業部", "部長")
    assert (lead.industry, lead.prefecture, lead.website) == ("IT", "東京都", "https://www.aozora.co.jp/")
    assert lead.employees == 1200
    assert lead.status == LeadStatus.QUALIFIED
    assert lead.owner == bob
    assert sorted(tag.name for tag in lead.tags.all()) == ["展示会2026", "重要顧客"]


def test_utf8_with_bom_is_read_and_the_bom_is_not_part_of_the_first_header(tenant_a):
    data = b"\xef\xbb\xbf" + csv_bytes([["メールアドレス", "会社名"], ["a@example.jp", "ボム株式会社"]])
    result = run(tenant_a, data)
    assert result.created == 1 and result.encoding == "utf-8-sig"
    assert Lead.objects.for_tenant(tenant_a).get().company_name == "ボム株式会社"


def test_cp932_file_from_japanese_excel_is_detected(tenant_a):
    data = csv_bytes(
        [["会社名", "メールアドレス", "部署"], ["髙橋ソリューションズ①", "t@takahashi.jp", "営業部"]], "cp932"
    )
    result = run(tenant_a, data)
    assert result.created == 1 and result.encoding == "cp932"
    lead = Lead.objects.for_tenant(tenant_a).get()
    assert lead.company_name == "髙橋ソリューションズ①"
    assert lead.department == "営業部"


@pytest.mark.parametrize("encoding", ["cp932", "shift_jis", "utf-8"])
def test_explicitly_chosen_encoding_is_used(tenant_a, encoding):
    codec = "utf-8" if encoding == "utf-8" else "cp932"
    data = csv_bytes([["会社名", "メールアドレス"], ["指定株式会社", "s@shitei.jp"]], codec)
    result = run(tenant_a, data, encoding=encoding)
    assert result.created == 1
    assert Lead.objects.for_tenant(tenant_a).get().company_name == "指定株式会社"


def test_wrongly_chosen_encoding_is_refused_before_anything_is_written(tenant_a):
    data = csv_bytes([["会社名", "メールアドレス"], ["株式会社日本", "n@nihon.jp"]] * 3, "cp932")
    with pytest.raises(ImportFileError) as raised:
        run(tenant_a, data, encoding="utf-8")
    assert raised.value.code == "undecodable"
    assert "UTF-8" in raised.value.message
    assert not Lead.objects.exists()


@pytest.mark.parametrize("codec", ["utf-8", "cp932"])
def test_a_character_cut_by_the_end_of_the_detection_sample_does_not_spoil_detection(tenant_a, codec):
    """The 64 KB sample ends after the first byte of a multi-byte character."""
    header = csv_bytes([["メールアドレス", "会社名"]], codec)
    rows = b""
    number = 0
    while len(header) + len(rows) < csv_import.SAMPLE_BYTES - 200:
        rows += csv_bytes([[f"lead{number}@example.jp", "株式会社"]], codec)
        number += 1
    prefix = "cut@example.jp,".encode(codec)
    padding = b"x" * (csv_import.SAMPLE_BYTES - 1 - len(header) - len(rows) - len(prefix))
    data = header + rows + prefix + padding + "あいう".encode(codec) + b"\r\n"
    assert len(header + rows + prefix + padding) == csv_import.SAMPLE_BYTES - 1
    assert not _decodes_strictly(data[: csv_import.SAMPLE_BYTES], codec)
    assert csv_import.choose_encoding(io.BytesIO(data)) == codec
    result = run(tenant_a, data)
    assert result.created == number + 1 and result.errors == []
    assert Lead.objects.for_tenant(tenant_a).get(email="cut@example.jp").company_name.endswith("あいう")


def _decodes_strictly(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def test_ascii_only_start_then_shift_jis_later_is_detected_as_cp932(tenant_a):
    rows = [["email", "company_name"]]
    rows += [[f"user{number}@example.com", "Example Inc."] for number in range(3000)]
    rows += [["late@example.jp", "株式会社後半"]]
    data = csv_bytes(rows, "cp932")
    assert data[: csv_import.SAMPLE_BYTES].isascii()
    result = run(tenant_a, data)
    assert result.encoding == "cp932" and result.errors == []
    assert Lead.objects.for_tenant(tenant_a).get(email="late@example.jp").company_name == "株式会社後半"


def test_a_row_saved_in_another_encoding_is_reported_and_the_others_kept(tenant_a):
    good = csv_bytes([["メールアドレス", "会社名"], ["a@example.jp", "株式会社甲"], ["b@example.jp", "株式会社乙"]])
    bad = csv_bytes([["c@example.jp", "株式会社丙"]], "cp932")
    tail = csv_bytes([["d@example.jp", "株式会社丁"]])
    result = run(tenant_a, good + bad + tail)
    assert result.created == 3
    assert list(errors_by_row(result)) == [4]
    assert "UTF-8" in result.errors[0].message
    assert set(Lead.objects.for_tenant(tenant_a).values_list("company_name", flat=True)) == {
        "株式会社甲",
        "株式会社乙",
        "株式会社丁",
    }


# ---------------------------------------------------------------------------------------------
# Headers and mapping


def test_english_headers_are_recognised_ignoring_case_and_spaces(tenant_a):
    data = csv_bytes(
        [
            [" Email ", "COMPANY_NAME", "Last Name", "first_name", "Employees", "Status", "Tags"],
            ["en@example.com", "English Ltd.", "Smith", "Anna", "42", "won", "vip;fair"],
        ]
    )
    result = run(tenant_a, data)
    assert result.created == 1 and result.errors == []
    lead = Lead.objects.for_tenant(tenant_a).get()
    assert (lead.company_name, lead.last_name, lead.first_name) == ("English Ltd.", "Smith", "Anna")
    assert lead.employees == 42 and lead.status == LeadStatus.WON
    assert sorted(lead.tags.values_list("name", flat=True)) == ["fair", "vip"]


def test_unknown_columns_are_ignored_and_shown_as_not_imported_in_the_preview(tenant_a):
    data = csv_bytes([["メモ", "メールアドレス", "会社名"], ["大事な顧客", "m@example.jp", "株式会社メモ"]])
    encoding, headers, rows = read_header_and_sample(io.BytesIO(data), None)
    assert (encoding, headers, rows) == (
        "utf-8",
        ["メモ", "メールアドレス", "会社名"],
        [["大事な顧客", "m@example.jp", "株式会社メモ"]],
    )
    assert csv_import.auto_mapping(headers) == [None, "email", "company_name"]
    result = run(tenant_a, data)
    assert result.created == 1 and result.errors == []


def test_preview_shows_the_first_five_rows(tenant_a):
    rows = [["メールアドレス"]] + [[f"p{number}@example.jp"] for number in range(20)]
    _encoding, _headers, sample = read_header_and_sample(io.BytesIO(csv_bytes(rows)), None)
    assert sample == [[f"p{number}@example.jp"] for number in range(5)]


def test_mapping_overrides_recognition(tenant_a):
    data = csv_bytes(
        [["Mail", "会社", "会社名", "備考"], ["map@example.jp", "マップ株式会社", "使わない", "x"]],
    )
    result = run(tenant_a, data, mapping={"Mail": "email", "会社": "company_name", "会社名": ""})
    assert result.created == 1 and result.errors == []
    assert Lead.objects.for_tenant(tenant_a).get().company_name == "マップ株式会社"


def test_a_field_chosen_in_the_mapping_is_taken_from_the_recognised_column(tenant_a):
    data = csv_bytes([["メールアドレス", "会社メール"], ["private@example.jp", "work@example.jp"]])
    result = run(tenant_a, data, mapping={"会社メール": "email"})
    assert result.created == 1
    assert Lead.objects.for_tenant(tenant_a).get().email == "work@example.jp"


def test_mapping_errors_are_file_errors(tenant_a):
    data = csv_bytes([["メールアドレス", "会社名"], ["a@example.jp", "株式会社"]])
    with pytest.raises(ImportFileError) as unknown_field:
        run(tenant_a, data, mapping={"会社名": "shoe_size"})
    assert unknown_field.value.code == "bad_mapping" and "shoe_size" in unknown_field.value.message
    with pytest.raises(ImportFileError) as unknown_column:
        run(tenant_a, data, mapping={"FAX": "phone"})
    assert unknown_column.value.code == "bad_mapping" and "FAX" in unknown_column.value.message
    with pytest.raises(ImportFileError) as twice:
        run(tenant_a, data, mapping={"メールアドレス": "email", "会社名": "email"})
    assert twice.value.code == "duplicate_mapping"
    assert not Lead.objects.exists()


# ---------------------------------------------------------------------------------------------
# Upsert


def test_an_existing_lead_with_the_same_address_is_updated_not_duplicated(tenant_a, write_path):
    older = factories.make_lead(tenant_a, email="Taro@Example.jp", company_name="旧社名", phone="03-0000-0000")
    newer = factories.make_lead(tenant_a, email="taro@example.jp", company_name="重複")
    data = csv_bytes([["メールアドレス", "会社名"], ["ＴＡＲＯ＠example.jp", "新社名"]])
    result = run(tenant_a, data)
    assert (result.created, result.updated) == (0, 1)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.company_name == "新社名"
    assert older.phone == "03-0000-0000", "a column that is not in the file keeps its value"
    assert newer.company_name == "重複", "only the oldest lead with the address is updated"
    assert Lead.objects.for_tenant(tenant_a).count() == 2


def test_the_same_address_twice_in_one_file_updates_the_first_row(tenant_a, write_path):
    data = csv_bytes(
        [
            ["メールアドレス", "会社名", "部署", "ステータス"],
            ["twice@example.jp", "最初の会社", "営業部", "受注"],
            ["other@example.jp", "別の会社", "", ""],
            ["TWICE@example.jp", "後の会社", "", ""],
        ]
    )
    result = run(tenant_a, data)
    assert (result.created, result.updated, result.errors) == (2, 1, [])
    lead = Lead.objects.for_tenant(tenant_a).get(email_normalized="twice@example.jp")
    assert lead.company_name == "後の会社"
    assert lead.department == "", "an empty cell clears a text field"
    assert lead.status == LeadStatus.WON, "an empty status cell keeps the status"


def test_empty_cells_clear_values_and_empty_status_keeps_the_status(tenant_a, bob, write_path):
    lead = factories.make_lead(
        tenant_a, email="keep@example.jp", employees=50, status=LeadStatus.WON, owner=bob, tags=["古いタグ"]
    )
    data = csv_bytes(
        [
            ["メールアドレス", "従業員数", "ステータス", "担当者", "タグ", "役職"],
            ["keep@example.jp", "", "", "", "", ""],
        ]
    )
    result = run(tenant_a, data)
    assert (result.created, result.updated) == (0, 1)
    lead.refresh_from_db()
    assert lead.employees is None and lead.owner is None and lead.title == ""
    assert lead.status == LeadStatus.WON
    assert not lead.tags.exists()
    assert lead.company_name.startswith("株式会社テスト"), "an unmapped column keeps its value"


def test_tags_column_replaces_the_tags_of_an_updated_lead(tenant_a, write_path):
    lead = factories.make_lead(tenant_a, email="tags@example.jp", tags=["展示会", "古い"])
    result = run(tenant_a, csv_bytes([["メールアドレス", "タグ"], ["tags@example.jp", "展示会；新しい, 重要"]]))
    assert result.updated == 1
    assert sorted(lead.tags.values_list("name", flat=True)) == ["展示会", "新しい", "重要"]


def test_a_file_of_several_chunks_imports_every_row(tenant_a, write_path):
    rows = [["メールアドレス", "会社名", "タグ"]]
    rows += [[f"chunk{number}@example.jp", f"会社{number}", "一括" if number % 2 else ""] for number in range(2500)]
    rows.append(["chunk10@example.jp", "更新された会社10", "最後"])  # updates a row of the first chunk
    result = run(tenant_a, csv_bytes(rows, "cp932"))
    assert (result.created, result.updated, result.errors) == (2500, 1, [])
    leads = Lead.objects.for_tenant(tenant_a)
    assert leads.count() == 2500
    assert leads.get(email="chunk10@example.jp").company_name == "更新された会社10"
    assert list(leads.get(email="chunk10@example.jp").tags.values_list("name", flat=True)) == ["最後"]
    assert leads.filter(tags__name="一括").count() == 1250


# ---------------------------------------------------------------------------------------------
# Row errors


def test_bad_rows_are_reported_with_spreadsheet_row_numbers_and_good_rows_kept(tenant_a, bob, charlie):
    data = csv_bytes(
        [
            ["メールアドレス", "会社名", "従業員数", "ステータス", "担当者"],
            ["ok1@example.jp", "良い会社1", "１，２００", "未対応", "bob@alpha.example"],  # row 2
            ["not-an-address", "悪い会社", "", "", ""],  # row 3
            ["", "メールなし", "", "", ""],  # row 4
            ["emp@example.jp", "従業員", "たくさん", "", ""],  # row 5
            ["status@example.jp", "ステータス", "", "保留", ""],  # row 6
            ["owner@example.jp", "担当者", "", "", "charlie@beta.example"],  # row 7: another tenant's user
            ["long@example.jp", "長" * 201, "", "", ""],  # row 8
            ["extra@example.jp", "多い", "", "", "", "余分"],  # row 9
            ["ok2@example.jp", "良い会社2", "300名", "Won", ""],  # row 10
        ]
    )
    result = run(tenant_a, data)
    assert (result.created, result.updated) == (2, 0)
    errors = errors_by_row(result)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert "メールアドレス" in errors[3][0] and "not-an-address" in errors[3][0]
    assert "メールアドレス" in errors[4][0]
    assert "従業員数" in errors[5][0] and "たくさん" in errors[5][0]
    assert "ステータス" in errors[6][0] and "保留" in errors[6][0] and "未対応" in errors[6][0]
    assert "担当者" in errors[7][0] and "charlie@beta.example" in errors[7][0]
    assert "会社名" in errors[8][0] and "200" in errors[8][0]
    assert "6" in errors[9][0] and "5" in errors[9][0]
    good = Lead.objects.for_tenant(tenant_a).order_by("email")
    assert [(lead.email, lead.employees, lead.status) for lead in good] == [
        ("ok1@example.jp", 1200, LeadStatus.NEW),
        ("ok2@example.jp", 300, LeadStatus.WON),
    ]
    assert good[0].owner == bob


def test_every_problem_of_a_row_is_reported(tenant_a):
    data = csv_bytes([["メールアドレス", "従業員数", "ステータス"], ["bad", "many", "unknown"]])
    result = run(tenant_a, data)
    assert result.error_rows == 1 and len(result.errors) == 3
    assert {error.row for error in result.errors} == {2}


def test_empty_lines_are_skipped_silently_but_counted_in_row_numbers(tenant_a):
    text = "メールアドレス,会社名\r\n\r\na@example.jp,甲\r\n,\r\n \r\nbad,乙\r\n\r\n"
    result = run(tenant_a, text.encode())
    assert result.created == 1
    assert [error.row for error in result.errors] == [6]


def test_row_numbers_count_records_not_physical_lines(tenant_a):
    data = csv_bytes([["メールアドレス", "部署"], ["a@example.jp", "営業部\n第一課"], ["bad", "x"]])
    result = run(tenant_a, data)
    assert Lead.objects.for_tenant(tenant_a).get().department == "営業部\n第一課"
    assert [error.row for error in result.errors] == [3]


def test_trailing_empty_cells_and_short_rows_are_accepted(tenant_a):
    text = "メールアドレス,会社名,部署\r\na@example.jp,甲,営業,,,\r\nb@example.jp\r\n"
    result = run(tenant_a, text.encode())
    assert (result.created, result.errors) == (2, [])
    assert Lead.objects.for_tenant(tenant_a).get(email="b@example.jp").company_name == ""


def test_nul_character_in_a_row_is_a_row_error(tenant_a):
    data = csv_bytes([["メールアドレス", "会社名"]] + [[f"n{number}@example.jp", "甲"] for number in range(5000)])
    data += b"nul@example.jp,a\x00b\r\n"
    result = run(tenant_a, data)
    assert len(data) > csv_import.SAMPLE_BYTES
    assert result.created == 5000
    assert [error.row for error in result.errors] == [5002]


def test_unclosed_quote_is_a_row_error(tenant_a):
    text = 'メールアドレス,会社名\r\na@example.jp,甲\r\nb@example.jp,"乙\r\nc@example.jp,丙\r\n'
    result = run(tenant_a, text.encode())
    assert result.created == 1
    assert [error.row for error in result.errors] == [3]
    assert Lead.objects.for_tenant(tenant_a).get().email == "a@example.jp"


def test_quotes_inside_cells_are_fine(tenant_a):
    text = (
        'メールアドレス,会社名,部署\r\na@example.jp,"株式会社""引用""",5"モニター担当\r\nb@example.jp,"改行\r\nあり",x'
    )
    result = run(tenant_a, text.encode())
    assert (result.created, result.errors) == (2, [])
    assert Lead.objects.for_tenant(tenant_a).get(email="a@example.jp").company_name == '株式会社"引用"'
    assert Lead.objects.for_tenant(tenant_a).get(email="b@example.jp").company_name == "改行\r\nあり"


def test_a_cell_longer_than_csv_allows_is_a_row_error(tenant_a):
    text = "メールアドレス,会社名\r\nlong@example.jp," + "x" * 200_000 + "\r\nok@example.jp,short\r\n"
    result = run(tenant_a, text.encode())
    assert result.created == 1
    assert [error.row for error in result.errors] == [2]


def test_script_in_a_cell_is_stored_as_text_and_shown_escaped(tenant_a, bob_client):
    data = csv_bytes([["メールアドレス", "会社名"], ["xss@example.jp", "<script>alert(1)</script>"]])
    run(tenant_a, data)
    lead = Lead.objects.for_tenant(tenant_a).get()
    assert lead.company_name == "<script>alert(1)</script>"
    body = bob_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_neutralised_formula_from_the_export_is_read_back(tenant_a):
    data = csv_bytes([["メールアドレス", "会社名", "部署"], ["f@example.jp", "'=1+1", "'営業"]])
    run(tenant_a, data)
    lead = Lead.objects.for_tenant(tenant_a).get()
    assert lead.company_name == "=1+1"
    assert lead.department == "'営業", "a quote before anything else is kept"


# ---------------------------------------------------------------------------------------------
# File errors


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\r\n\r\n  \r\n", "no_header"),
        ("会社名,電話番号\r\n株式会社,03\r\n".encode(), "no_email_column"),
        ("会社名\tメールアドレス\r\nx\ty@example.jp\r\n".encode(), "no_email_column"),
        (b"email,name\r\n\x00\x01\x02binary", "not_csv"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "not_csv"),
        ("メールアドレス\r\n".encode("utf-16"), "undecodable"),
        (bytes(range(0x80, 0x100)) * 10 + b"\r\n" + bytes(range(0xFF, 0x7F, -1)) * 10, "undecodable"),
    ],
)
def test_file_errors_import_nothing(tenant_a, data, code):
    factories.make_lead(tenant_a, email="before@example.jp")
    with pytest.raises(ImportFileError) as raised:
        run(tenant_a, data)
    assert raised.value.code == code
    assert raised.value.message
    assert Lead.objects.for_tenant(tenant_a).count() == 1


def test_a_file_larger_than_the_limit_is_refused(tenant_a):
    data = csv_bytes([["メールアドレス"]] + [[f"big{number}@example.jp"] for number in range(100)])
    with override_settings(LEAD_IMPORT_MAX_BYTES=len(data) - 1), pytest.raises(ImportFileError) as raised:
        run(tenant_a, data)
    assert raised.value.code == "too_large"
    assert not Lead.objects.exists()
    with override_settings(LEAD_IMPORT_MAX_BYTES=len(data)):
        assert run(tenant_a, data).created == 100


def test_unknown_encoding_name_is_refused(tenant_a):
    with pytest.raises(ImportFileError) as raised:
        run(tenant_a, csv_bytes([["メールアドレス"], ["a@example.jp"]]), encoding="euc-jp")
    assert raised.value.code == "unknown_encoding"


# ---------------------------------------------------------------------------------------------
# Tenants


def test_import_never_touches_another_tenants_leads(tenant_a, tenant_b, write_path):
    theirs = factories.make_lead(tenant_b, email="shared@example.jp", company_name="ベータの顧客")
    result = run(tenant_a, csv_bytes([["メールアドレス", "会社名"], ["shared@example.jp", "アルファの顧客"]]))
    assert (result.created, result.updated) == (1, 0)
    theirs.refresh_from_db()
    assert theirs.company_name == "ベータの顧客"
    assert Lead.objects.for_tenant(tenant_a).get().company_name == "アルファの顧客"
    assert Lead.objects.for_tenant(tenant_b).count() == 1


def test_tags_are_created_in_the_importing_tenant_only(tenant_a, tenant_b):
    factories.make_lead(tenant_b, email="b@example.jp", tags=["共通"])
    run(tenant_a, csv_bytes([["メールアドレス", "タグ"], ["a@example.jp", "共通"]]))
    lead = Lead.objects.for_tenant(tenant_a).get()
    tag = lead.tags.get()
    assert tag.tenant == tenant_a


# ---------------------------------------------------------------------------------------------
# Screens: upload -> mapping -> result


def upload(client, data: bytes, name: str = "リード.csv", encoding: str = ""):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/leads/import/", {"file": file, "encoding": encoding})


def token_of(response) -> str:
    match = re.fullmatch(r"/leads/import/([\w-]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def test_upload_page_has_labelled_fields_in_japanese(bob_client):
    body = bob_client.get("/leads/import/").content.decode()
    assert '<label for="id_file">' in body and '<label for="id_encoding">' in body
    assert "Shift_JIS (CP932)" in body
    assert "メールアドレス" in body


def test_the_whole_flow_upload_mapping_run_result(bob_client, tenant_a, import_dir):
    data = csv_bytes(
        [
            ["会社名", "メールアドレス", "備考", "従業員数"],
            ["<b>太字</b>株式会社", "flow@example.jp", "メモ", "10"],
            ["悪い行", "not-an-address", "", ""],
            ["株式会社二", "two@example.jp", "", "abc"],
        ],
        "cp932",
    )
    response = upload(bob_client, data)
    assert response.status_code == 302
    token = token_of(response)
    assert (Path(import_dir) / f"{token}.csv").exists()

    page = bob_client.get(f"/leads/import/{token}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Shift_JIS (CP932)" in body
    assert "&lt;b&gt;太字&lt;/b&gt;株式会社" in body and "<b>太字</b>" not in body
    assert '<option value="company_name" selected>' in body
    assert '<option value="email" selected>' in body
    assert '<option value="" selected>' in body  # 備考 is not imported
    assert 'hx-indicator="#import-progress"' in body
    assert '<label for="id_column_2">備考</label>' in body

    response = bob_client.post(
        f"/leads/import/{token}/run/",
        {"column_0": "company_name", "column_1": "email", "column_2": "", "column_3": "employees"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/leads/import/{token}/result/"
    assert not (Path(import_dir) / f"{token}.csv").exists(), "the uploaded file is deleted after the import"

    result = bob_client.get(response["Location"])
    body = result.content.decode()
    assert result.status_code == 200
    assert re.search(r'id="import-created">\s*1\s*<', body)
    assert re.search(r'id="import-updated">\s*0\s*<', body)
    assert re.search(r'id="import-skipped">\s*2\s*<', body)
    assert "not-an-address" in body and "abc" in body
    assert Lead.objects.for_tenant(tenant_a).get().company_name == "<b>太字</b>株式会社"

    download = bob_client.get(f"/leads/import/{token}/errors/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("3,") and lines[2].startswith("4,")
    assert "filename*=UTF-8''" in download["Content-Disposition"]


def test_columns_set_to_do_not_import_are_left_out(bob_client, tenant_a):
    token = token_of(upload(bob_client, csv_bytes([["メールアドレス", "会社名"], ["skip@example.jp", "入れない"]])))
    bob_client.post(f"/leads/import/{token}/run/", {"column_0": "email", "column_1": ""})
    assert Lead.objects.for_tenant(tenant_a).get().company_name == ""


def test_mapping_without_email_or_with_a_field_twice_shows_errors_and_imports_nothing(bob_client, tenant_a):
    token = token_of(upload(bob_client, csv_bytes([["メールアドレス", "会社名"], ["m@example.jp", "株式会社"]])))
    response = bob_client.post(f"/leads/import/{token}/run/", {"column_0": "", "column_1": "company_name"})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    response = bob_client.post(f"/leads/import/{token}/run/", {"column_0": "email", "column_1": "email"})
    body = response.content.decode()
    assert 'id="id_column_1_error"' in body and 'id="id_column_0_error"' in body
    assert not Lead.objects.exists()
    assert bob_client.post(f"/leads/import/{token}/run/", {"column_0": "email", "column_1": ""}).status_code == 302


def test_upload_of_a_file_that_cannot_be_imported_shows_the_error_by_the_field(bob_client, import_dir):
    for data in (b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", b"\r\n\r\n"):
        response = upload(bob_client, data, name="顧客.xls")
        assert response.status_code == 200
        assert 'id="id_file_error"' in response.content.decode()
    assert not list(Path(import_dir).glob("*.csv"))


def test_a_column_the_import_does_not_recognise_can_be_chosen_as_the_email(bob_client, tenant_a):
    token = token_of(upload(bob_client, csv_bytes([["会社", "連絡先"], ["手動株式会社", "manual@example.jp"]])))
    body = bob_client.get(f"/leads/import/{token}/").content.decode()
    assert '<option value="email" selected>' not in body
    response = bob_client.post(f"/leads/import/{token}/run/", {"column_0": "company_name", "column_1": "email"})
    assert response.status_code == 302
    assert Lead.objects.for_tenant(tenant_a).get().email == "manual@example.jp"


def test_upload_larger_than_the_limit_is_refused(bob_client, settings):
    settings.LEAD_IMPORT_MAX_BYTES = 10
    response = upload(bob_client, csv_bytes([["メールアドレス"], ["a@example.jp"]]))
    assert response.status_code == 200
    assert 'id="id_file_error"' in response.content.decode()


def test_reading_again_in_another_encoding(bob_client):
    data = csv_bytes([["メールアドレス", "会社名"], ["r@example.jp", "株式会社再読"]], "cp932")
    token = token_of(upload(bob_client, data))
    assert "株式会社再読" in bob_client.get(f"/leads/import/{token}/").content.decode()
    response = bob_client.get(f"/leads/import/{token}/", {"encoding": "utf-8"})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    response = bob_client.get(f"/leads/import/{token}/", {"encoding": ""})
    assert "株式会社再読" in response.content.decode()


def test_another_tenant_or_session_cannot_open_an_import(bob_client, alice_client, charlie_client, tenant_a):
    token = token_of(upload(bob_client, csv_bytes([["メールアドレス"], ["secret@example.jp"]])))
    for client in (charlie_client, alice_client):
        assert client.get(f"/leads/import/{token}/").status_code == 404
        assert client.post(f"/leads/import/{token}/run/", {"column_0": "email"}).status_code == 404
        assert client.get(f"/leads/import/{token}/result/").status_code == 404
        assert client.get(f"/leads/import/{token}/errors/").status_code == 404
    assert not Lead.objects.exists()
    assert bob_client.get("/leads/import/../../etc/passwd/").status_code == 404
    assert bob_client.get(f"/leads/import/{token}/").status_code == 200


def test_import_screens_need_a_login(client):
    response = client.get("/leads/import/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "address",
    [
        "taro@example.jp",
        "taro.yamada+news@sub.example.co.jp",
        "a_b%c-d@x-y.example.com",
        "1@2.jp",
        "a..b@example.jp",
        ".a@example.jp",
        "a.@example.jp",
        "a@-example.jp",
        "a@example-.jp",
        "a@example.j",
        "a@example.123",
        "a@example",
        "a@localhost",
        "a@[127.0.0.1]",
        '"quoted name"@example.jp',
        "山田@example.jp",
        "taro@例え.jp",
        "a@xn--r8jz45g.jp",
        "a@b@example.jp",
        "a b@example.jp",
        "x" * 310 + "@example.jp",
        "a@" + "b" * 64 + ".jp",
        "a@" + "b" * 63 + ".jp",
        "",
    ],
)
def test_fast_address_check_agrees_with_djangos_validator(address):
    from leads.addresses import is_valid_email

    assert csv_import.is_valid_address(address) == is_valid_email(address)


def test_a_lead_whose_values_do_not_change_keeps_its_updated_time(tenant_a, write_path):
    data = csv_bytes([["メールアドレス", "会社名"], ["same@example.jp", "同じ会社"], ["moved@example.jp", "旧"]])
    run(tenant_a, data)
    before = dict(Lead.objects.for_tenant(tenant_a).values_list("email", "updated_at"))
    data = csv_bytes([["メールアドレス", "会社名"], ["same@example.jp", "同じ会社"], ["moved@example.jp", "新"]])
    result = run(tenant_a, data)
    assert (result.created, result.updated) == (0, 2)
    after = dict(Lead.objects.for_tenant(tenant_a).values_list("email", "updated_at"))
    assert after["same@example.jp"] == before["same@example.jp"]
    assert after["moved@example.jp"] > before["moved@example.jp"]
