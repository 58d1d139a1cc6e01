"""The hostile corpus through the CSV import (L2), by the screens and by the API, and out through the export.

One file holds every value in every text column (one row per value), a second one puts every value
into the columns that are parsed (email, employees, status, owner). Every row is either stored or
reported with its row number and a message naming the column; none is lost silently.

Documented normalisations of the import: cells are trimmed; a cell the export neutralised ('=...) is
read back without the quote; tags are split at `;` (also `；` and `,`); bytes that are not UTF-8 (a
lone surrogate written out) make the row an error naming the encoding.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from leads.addresses import normalize_email
from leads.csv_import import MAX_LENGTHS, NEUTRALISED_PREFIXES
from leads.models import Lead
from tests.test_hostile_inputs import (
    Findings,
    answers_500s,
    form_errors,
    has_lone_surrogate,
    hostile_values,
    page_problems,
)

pytestmark = pytest.mark.django_db

TEXT_COLUMNS = {
    "会社名": "company_name",
    "姓": "last_name",
    "名": "first_name",
    "電話番号": "phone",
    "部署": "department",
    "役職": "title",
    "業種": "industry",
    "都道府県": "prefecture",
    "Webサイト": "website",
}
PARSED_COLUMNS = ("メールアドレス", "従業員数", "ステータス", "担当者")


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 as Excel's "CSV UTF-8" writes it (BOM, CRLF); a lone surrogate goes out as its raw bytes."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8", "surrogatepass")


def text_file() -> bytes:
    header = [*TEXT_COLUMNS, "タグ", "メールアドレス"]
    rows = [[hostile.value] * (len(TEXT_COLUMNS) + 1) + [email_of(hostile)] for hostile in hostile_values()]
    return csv_bytes(header, rows)


def long_text_file() -> bytes:
    """The values in the columns that take 200 characters or more, so longer values are stored too."""
    header = ["会社名", "部署", "役職", "Webサイト", "メールアドレス"]
    return csv_bytes(header, [[hostile.value] * 4 + [email_of(hostile)] for hostile in hostile_values()])


def parsed_file(column: str) -> bytes:
    """The values in one parsed column (the others plain), one row each."""
    if column == "メールアドレス":
        return csv_bytes(["会社名", column], [["株式会社", hostile.value] for hostile in hostile_values()])
    rows = [["株式会社", email_of(hostile), hostile.value] for hostile in hostile_values()]
    return csv_bytes(["会社名", "メールアドレス", column], rows)


def email_of(hostile) -> str:
    return f"csv{hostile.number}@example.jp"


def imported_cell(value: str) -> str:
    cell = value.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in NEUTRALISED_PREFIXES else cell


def text_row_problem(value: str) -> str | None:
    """Why a row of the text file must be refused (the column to name), or None when it is stored."""
    if "\x00" in value or has_lone_surrogate(value):
        return "row"  # the row as a whole: NUL, or bytes that are not UTF-8
    cell = imported_cell(value)
    too_long = [header for header, field in TEXT_COLUMNS.items() if len(cell) > MAX_LENGTHS[field]]
    if too_long:
        return too_long[0]
    if any(len(tag.strip()) > 50 for tag in re.split("[;；,]", value.strip())):
        return "タグ"
    return None


def check_text_import(findings: Findings, tenant, errors: dict[int, list[str]]) -> None:
    leads = {lead.email: lead for lead in Lead.objects.for_tenant(tenant).prefetch_related("tags")}
    for row, hostile in enumerate(hostile_values(), start=2):
        problem = text_row_problem(hostile.value)
        lead = leads.get(email_of(hostile))
        if problem is None:
            if not findings.check(lead is not None, hostile, f"row {row} not stored: {errors.get(row)}"):
                continue
            cell = imported_cell(hostile.value)
            for field in TEXT_COLUMNS.values():
                findings.check(getattr(lead, field) == cell, hostile, f"{field} stored as {getattr(lead, field)!r}")
            tags = sorted({tag.strip() for tag in re.split("[;；,]", cell) if tag.strip()})
            findings.check(sorted(tag.name for tag in lead.tags.all()) == tags, hostile, "tags stored differently")
        else:
            findings.check(lead is None, hostile, f"row {row} stored although it should be refused")
            messages = errors.get(row, [])
            findings.check(bool(messages), hostile, f"row {row} neither stored nor reported")
            if problem != "row" and messages:
                findings.check(any(problem in message for message in messages), hostile, f"{problem}: {messages}")


def check_long_text_import(findings: Findings, tenant, errors: dict[int, list[str]]) -> None:
    leads = {lead.email: lead for lead in Lead.objects.for_tenant(tenant).filter(email__startswith="csv")}
    for row, hostile in enumerate(hostile_values(), start=2):
        cell = imported_cell(hostile.value)
        if "\x00" in cell or has_lone_surrogate(cell) or len(cell) > 200:
            findings.check(bool(errors.get(row)), hostile, f"row {row} neither stored nor reported")
        elif findings.check(email_of(hostile) in leads, hostile, f"row {row} not stored: {errors.get(row)}"):
            lead = leads[email_of(hostile)]
            stored = {lead.company_name, lead.department, lead.title, lead.website}
            findings.check(stored == {cell}, hostile, f"stored as {sorted(stored)[:2]}")


def check_parsed_import(findings: Findings, tenant, column: str, errors: dict[int, list[str]]) -> None:
    """Every row is stored or reported with a message naming the column (or the row's encoding or NUL)."""
    stored = set(Lead.objects.for_tenant(tenant).values_list("email_normalized", flat=True))
    for row, hostile in enumerate(hostile_values(), start=2):
        address = imported_cell(hostile.value) if column == "メールアドレス" else email_of(hostile)
        if row in errors:
            named = any(column in message for message in errors[row])
            encoding = any("UTF-8" in message or "NUL" in message for message in errors[row])
            findings.check(named or encoding, hostile, f"row {row} error names no column: {errors[row]}")
        else:
            findings.check(normalize_email(address) in stored, hostile, f"row {row} neither stored nor reported")


def errors_by_row(errors: list[dict]) -> dict[int, list[str]]:
    rows: dict[int, list[str]] = {}
    for error in errors:
        rows.setdefault(error["row"], []).append(error["message"])
    return rows


def upload(api, data: bytes):
    file = io.BytesIO(data)
    file.name = "hostile.csv"
    return api.post("/api/v1/leads/import/", {"file": file}, format="multipart")


def test_the_api_import_stores_or_reports_every_row(bob_api, tenant_a):
    api = answers_500s(bob_api)
    findings = Findings()
    response = upload(api, text_file())
    assert response.status_code == 200, response.content[:500]
    check_text_import(findings, tenant_a, errors_by_row(response.json()["errors"]))
    response = upload(api, long_text_file())
    assert response.status_code == 200, response.content[:500]
    check_long_text_import(findings, tenant_a, errors_by_row(response.json()["errors"]))
    for column in PARSED_COLUMNS:
        response = upload(api, parsed_file(column))
        assert response.status_code == 200, response.content[:500]
        check_parsed_import(findings, tenant_a, column, errors_by_row(response.json()["errors"]))
    findings.assert_none()


def import_through_the_screens(findings: Findings, client, data: bytes, label: str) -> dict[int, list[str]]:
    file = io.BytesIO(data)
    file.name = "hostile.csv"
    response = client.post("/leads/import/", {"file": file, "encoding": ""})
    assert response.status_code == 302, response.content[:500]
    token = re.fullmatch(r"/leads/import/([\w-]+)/", response["Location"]).group(1)
    mapping = client.get(f"/leads/import/{token}/")
    for problem in page_problems(mapping.content.decode("utf-8", "replace"), [h.value for h in hostile_values()]):
        findings.append(f"{label} mapping page: {problem}")
    form = mapping.context["form"]
    columns = {name: form[name].value() or "" for name in form.fields}
    response = client.post(f"/leads/import/{token}/run/", columns)
    assert response.status_code == 302, response.content[:500]
    result = client.get(f"/leads/import/{token}/result/")
    for problem in page_problems(result.content.decode("utf-8", "replace"), [h.value for h in hostile_values()]):
        findings.append(f"{label} result page: {problem}")
    download = b"".join(client.get(f"/leads/import/{token}/errors/").streaming_content).decode("utf-8-sig")
    reader = csv.reader(io.StringIO(download, newline=""))
    next(reader)
    rows: dict[int, list[str]] = {}
    for cells in reader:
        rows.setdefault(int(cells[0]), []).append(cells[1].removeprefix("'"))
    return rows


def test_the_import_screens_store_or_report_every_row(charlie_client, tenant_b):
    client = answers_500s(charlie_client)
    findings = Findings()
    check_text_import(findings, tenant_b, import_through_the_screens(findings, client, text_file(), "text file"))
    for column in PARSED_COLUMNS:
        rows = import_through_the_screens(findings, client, parsed_file(column), column)
        check_parsed_import(findings, tenant_b, column, rows)
    findings.assert_none()


def test_the_export_neutralises_every_formula_cell(bob_api, bob_client, tenant_a):
    upload(bob_api, text_file())
    response = bob_client.get("/leads/export/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    findings = Findings()
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert len(cells) > 200
    for cell in cells:
        findings.check(not cell.startswith(NEUTRALISED_PREFIXES), cell[:60], "a formula cell left as it is")
    findings.assert_none()


def hostile_header_file(*, readable: bool = True) -> bytes:
    """Every value as a column name (each column holding the value too), beside the email column. A header
    row with bytes that are not UTF-8 (a lone surrogate) or NUL refuses the whole file (documented: not
    readable, binary): `readable` leaves those out."""
    values = [
        h.value for h in hostile_values() if not readable or not (has_lone_surrogate(h.value) or "\x00" in h.value)
    ]
    return csv_bytes(["メールアドレス", *values], [["header@example.jp", *values]])


def test_hostile_column_names_are_shown_escaped_and_never_break_the_import(bob_client, bob_api, tenant_a):
    client = answers_500s(bob_client)
    findings = Findings()
    unreadable = io.BytesIO(hostile_header_file(readable=False))
    unreadable.name = "headers.csv"
    refused = client.post("/leads/import/", {"file": unreadable, "encoding": ""})
    findings.check(set(form_errors(refused)) == {"file"}, "unreadable header row", f"{refused.status_code}")
    rows = import_through_the_screens(findings, client, hostile_header_file(), "hostile headers")
    findings.check(Lead.objects.for_tenant(tenant_a).filter(email="header@example.jp").exists(), "row 2", f"{rows}")
    api = answers_500s(bob_api)
    readable = [h.value for h in hostile_values() if not (has_lone_surrogate(h.value) or "\x00" in h.value)]
    mapping = dict.fromkeys(readable, "") | {"メールアドレス": "email"}
    file = io.BytesIO(hostile_header_file())
    file.name = "headers.csv"
    response = api.post("/api/v1/leads/import/", {"file": file, "mapping": json.dumps(mapping)})
    findings.check(response.status_code == 200, "mapping of every header", f"{response.content[:300]!r}")
    for hostile in hostile_values():
        if hostile.kind not in ("filter_language", "unicode", "control", "sql"):
            continue
        file.seek(0)
        encoding = hostile.value.encode("utf-8", "surrogatepass")
        response = api.post("/api/v1/leads/import/", {"file": file, "encoding": encoding})
        findings.check(response.status_code == 400, hostile, f"a bad encoding answered {response.status_code}")
    findings.assert_none()
