"""CSV export of leads (L2): opens in Japanese Excel, neutralises formulas, imports back unchanged."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from leads.csv_export import stream_leads_csv
from leads.csv_import import import_leads
from leads.models import Lead, LeadStatus
from tests import factories

HEADER = "会社名,姓,名,メールアドレス,電話番号,部署,役職,業種,都道府県,従業員数,Webサイト,ステータス,タグ,担当者"


def download(client, **params) -> tuple[bytes, object]:
    response = client.get("/leads/export/", params)
    assert response.status_code == 200
    return b"".join(response.streaming_content), response


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_export_is_utf8_with_bom_crlf_and_japanese_header(bob_client, tenant_a, bob):
    factories.make_lead(
        tenant_a,
        company_name="株式会社青空商事",
        last_name="佐藤",
        first_name="翔太",
        email="sato@aozora.jp",
        employees=1200,
        status=LeadStatus.WON,
        owner=bob,
        tags=["重要顧客", "展示会2026"],
    )
    content, response = download(bob_client)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert content.startswith(b"\xef\xbb\xbf")
    assert content[3:].startswith(HEADER.encode() + b"\r\n")
    assert content.endswith(b"\r\n") and b"\n" not in content.replace(b"\r\n", b"")
    header, row = rows_of(content)
    lead = dict(zip(header, row, strict=True))
    assert lead["会社名"] == "株式会社青空商事"
    assert (lead["姓"], lead["名"]) == ("佐藤", "翔太")
    assert lead["従業員数"] == "1200"
    assert lead["ステータス"] == "受注"
    assert lead["タグ"] == "展示会2026; 重要顧客"
    assert lead["担当者"] == "bob@alpha.example"


def test_download_name_is_japanese_with_rfc5987_and_an_ascii_fallback(bob_client):
    _content, response = download(bob_client)
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded).startswith("リード_") and encoded.endswith(".csv")


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(bob_client, tenant_a):
    factories.make_lead(
        tenant_a,
        email="formula@example.jp",
        company_name="=1+1",
        last_name="+cmd|' /C calc'!A0",
        first_name="-2",
        department="@SUM(A1:A9)",
        title="\tタブ",
        industry="普通の=式ではない",
    )
    content, _response = download(bob_client)
    header, row = rows_of(content)
    lead = dict(zip(header, row, strict=True))
    assert lead["会社名"] == "'=1+1"
    assert lead["姓"] == "'+cmd|' /C calc'!A0"
    assert lead["名"] == "'-2"
    assert lead["部署"] == "'@SUM(A1:A9)"
    assert lead["役職"] == "'\tタブ"
    assert lead["業種"] == "普通の=式ではない"
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_has_only_the_own_tenants_leads_and_applies_the_search(bob_client, charlie_client, tenant_a, tenant_b):
    factories.make_lead(tenant_a, company_name="アルファ顧客", email="a1@example.jp")
    factories.make_lead(tenant_a, company_name="富士工業", email="a2@example.jp")
    factories.make_lead(tenant_b, company_name="ベータ顧客", email="b1@example.jp")
    everything = rows_of(download(bob_client)[0])[1:]
    assert sorted(row[0] for row in everything) == ["アルファ顧客", "富士工業"]
    searched = rows_of(download(bob_client, q="富士")[0])[1:]
    assert [row[0] for row in searched] == ["富士工業"]
    theirs = rows_of(download(charlie_client)[0])[1:]
    assert [row[0] for row in theirs] == ["ベータ顧客"]


def test_export_costs_no_query_per_lead(tenant_a, bob, django_assert_max_num_queries):
    for number in range(30):
        factories.make_lead(tenant_a, email=f"q{number}@example.jp", owner=bob, tags=["タグ1", f"タグ{number}"])
    response = stream_leads_csv(Lead.objects.for_tenant(tenant_a), "leads.csv")
    with django_assert_max_num_queries(4):
        content = b"".join(response.streaming_content)
    assert len(rows_of(content)) == 31


def test_exported_file_imports_back_unchanged(bob_client, tenant_a, bob):
    factories.make_lead(
        tenant_a,
        company_name="=危険な会社",
        email="round@example.jp",
        phone="03-1234-5678",
        employees=55,
        status=LeadStatus.QUALIFIED,
        owner=bob,
        tags=["紹介", "資料請求"],
        website="https://example.jp/",
    )
    factories.make_lead(tenant_a, email="plain@example.jp", company_name="", employees=None)
    before = list(Lead.objects.for_tenant(tenant_a).order_by("pk").values())
    tags_before = sorted(Lead.objects.for_tenant(tenant_a).values_list("email", "tags__name"), key=str)
    content, _response = download(bob_client)
    result = import_leads(tenant=tenant_a, file=io.BytesIO(content))
    assert (result.created, result.updated, result.errors) == (0, 2, [])
    after = list(Lead.objects.for_tenant(tenant_a).order_by("pk").values())
    for row in (*before, *after):
        row.pop("updated_at")
    assert after == before
    assert sorted(Lead.objects.for_tenant(tenant_a).values_list("email", "tags__name"), key=str) == tags_before


def test_export_of_no_leads_is_just_the_header(bob_client):
    content, _response = download(bob_client)
    assert content == b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n"
