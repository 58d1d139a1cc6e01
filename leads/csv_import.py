"""CSV import of leads (L2): streaming, chunked, set-based; one service for the screens and the API.

How a file is read
- The file is never read whole: a binary file object is wrapped in io.TextIOWrapper
  (errors="surrogateescape") and csv.reader, and rows are written in chunks of CHUNK_SIZE valid rows,
  each chunk in one transaction with set-based queries.
- Encoding: UTF-8 with or without BOM, or CP932 (Shift_JIS as Japanese Excel writes it), detected
  from the first SAMPLE_BYTES bytes (an incremental decoder, so a multi-byte character cut at the end
  of the sample does not count against UTF-8), or chosen by the caller. When the sample holds only
  ASCII, the first later block with other bytes decides. A row that does not decode in the chosen
  encoding (a file saved in two encodings) is a row error naming the encoding; other rows are kept.
  When fewer than half of the sample's non-ASCII lines decode, the file is refused.
- Row numbers are the ones a spreadsheet shows: one per CSV record (a quoted cell may hold line
  breaks), the header is row 1 (or the first non-empty record, blank lines before it counting).

Columns
- Headers are recognised in Japanese or English (see IMPORT_FIELDS; trimmed, NFKC, case ignored) with
  a few common aliases (企業名, E-mail, TEL ...). Unknown columns are not imported. When two columns
  are recognised as the same field, the first one is imported.
- `mapping` (CSV header -> field name, or "" / None for "do not import") overrides the recognition for
  the headers it names; a field chosen explicitly is taken away from a column recognised
  automatically. `column_fields` (one field name or None per column, in order) replaces recognition
  entirely; the mapping screen uses it because headers may repeat.

Upsert and empty cells (decided here, applied everywhere)
- A lead is matched by its normalized email within the tenant (leads.addresses.normalize_email);
  if several existing leads share the address, the oldest is updated. A later row with the same
  address (in the same file or a later import) updates the lead and counts as "updated".
- Only mapped columns are written; columns absent from the mapping never touch existing values.
- An empty cell in a mapped column clears the value: text fields become "", 従業員数 and 担当者 become
  empty, タグ removes all tags. ステータス cannot be empty: an empty status cell keeps the current
  status (a new lead starts as 未対応).
- タグ replaces the lead's tags with the ones in the cell (separated by `;`), so an exported file
  imports back to the same leads.
- A cell written by the export as `'=...` (a quote before = + - @ tab or CR, the CSV-injection guard)
  is read back without that quote, so export -> import round-trips.
- Cells are trimmed. Text is stored as text: `<script>` stays a string and templates escape it.

Errors
- A bad row is skipped and reported as RowError(row, message), one per problem, messages naming
  the column as the file names it. Empty lines are skipped silently; extra empty cells after the
  last column (trailing commas) are ignored, missing cells at the end of a row count as empty.
- Problems with the file as a whole raise ImportFileError before anything is written.

Writing
- Each chunk is one transaction: the chunk's addresses are looked up in one query (which also returns
  the current values), new leads are inserted in one statement, and only leads whose values really
  change are updated (one statement), so re-importing the same file leaves updated_at alone. On
  PostgreSQL this is COPY and UPDATE ... FROM unnest(...) under an advisory lock per tenant; other
  databases (SQLite in development) use the ORM's bulk_create and bulk_update.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Tenant, User
from leads.addresses import MAX_EMAIL_LENGTH, is_valid_email, normalize_email, sendable_email
from leads.models import Lead, LeadStatus, Tag
from leads.services import parse_tag_names, tags_by_name

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
STATISTICS_CHECK_FIRST = 2 * CHUNK_SIZE
SAMPLE_BYTES = 64 * 1024
ASCII_SCAN_LIMIT_BYTES = 8 * 1024 * 1024
PREVIEW_ROWS = 5
MAX_EMPLOYEES = 2_147_483_647  # PositiveIntegerField on PostgreSQL
USE_POSTGRESQL_BULK_SQL = True  # the tests switch it off to run the ORM path (SQLite's) on PostgreSQL
IMPORT_LOCK_NAMESPACE = 0x4C49  # pg_advisory_xact_lock(namespace, tenant id): one import chunk at a time

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP932 = "cp932"
ENCODING_LABELS = {UTF8: "UTF-8", UTF8_BOM: "UTF-8 (BOM)", CP932: "Shift_JIS (CP932)"}
ENCODING_ALIASES = {
    "": None,
    "auto": None,
    "utf-8": UTF8,
    "utf8": UTF8,
    "utf-8-sig": UTF8,
    "cp932": CP932,
    "ms932": CP932,
    "windows-31j": CP932,
    "shift_jis": CP932,
    "shift-jis": CP932,
    "sjis": CP932,
}

# The Japanese labels of LeadStatus, spelled out so the import does not depend on the active language.
STATUS_LABELS_JA = {
    LeadStatus.NEW: "未対応",
    LeadStatus.CONTACTED: "対応中",
    LeadStatus.QUALIFIED: "商談化",
    LeadStatus.WON: "受注",
    LeadStatus.LOST: "失注",
}
STATUS_ENGLISH_LABELS = {
    LeadStatus.NEW: "Not contacted",
    LeadStatus.CONTACTED: "Contacted",
    LeadStatus.QUALIFIED: "Opportunity",
    LeadStatus.WON: "Won",
    LeadStatus.LOST: "Lost",
}

NEUTRALISED_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BAD_CHARACTERS = re.compile("[\x00\udc80-\udcff]")
# The everyday shape of a (normalized) address, written as a strict subset of what Django's EmailValidator
# accepts: what matches is valid without running the validator; anything else (IDN, quoted local parts,
# address literals, mistakes) goes through leads.addresses.is_valid_email.
_PLAIN_ADDRESS = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}"
)
MAX_ADDRESS_LENGTH = MAX_EMAIL_LENGTH  # as leads.addresses.is_valid_email: what the columns hold
_HEADER_SEPARATORS = re.compile(r"[\s\-_]+")


@dataclass(frozen=True)
class ImportField:
    name: str
    header_ja: str
    header_en: str
    label: Any  # lazily translated label for the mapping screen
    aliases: tuple[str, ...] = ()


IMPORT_FIELDS: tuple[ImportField, ...] = (
    ImportField("company_name", "会社名", "company_name", gettext_lazy("Company name"), ("企業名", "company")),
    ImportField("last_name", "姓", "last_name", gettext_lazy("Last name"), ("lastname", "surname")),
    ImportField("first_name", "名", "first_name", gettext_lazy("First name"), ("firstname", "given_name")),
    ImportField(
        "email",
        "メールアドレス",
        "email",
        gettext_lazy("Email address"),
        ("メール", "eメール", "e_mail", "email_address"),
    ),
    ImportField("phone", "電話番号", "phone", gettext_lazy("Phone"), ("電話", "tel")),
    ImportField("department", "部署", "department", gettext_lazy("Department"), ("部署名",)),
    ImportField("title", "役職", "title", gettext_lazy("Title"), ("役職名", "job_title")),
    ImportField("industry", "業種", "industry", gettext_lazy("Industry")),
    ImportField("prefecture", "都道府県", "prefecture", gettext_lazy("Prefecture")),
    ImportField("employees", "従業員数", "employees", gettext_lazy("Employees"), ("社員数",)),
    ImportField("website", "Webサイト", "website", gettext_lazy("Website"), ("url", "ホームページ")),
    ImportField("status", "ステータス", "status", gettext_lazy("Status")),
    ImportField("tags", "タグ", "tags", gettext_lazy("Tags"), ("tag",)),
    ImportField("owner", "担当者", "owner", gettext_lazy("Owner"), ("owner_email", "担当者メールアドレス")),
)
FIELDS_BY_NAME = {spec.name: spec for spec in IMPORT_FIELDS}
TEXT_FIELDS = (
    "company_name",
    "last_name",
    "first_name",
    "phone",
    "department",
    "title",
    "industry",
    "prefecture",
    "website",
)
MAX_LENGTHS = {name: Lead._meta.get_field(name).max_length for name in (*TEXT_FIELDS, "email")}
MAX_TAG_LENGTH = Tag._meta.get_field("name").max_length


def _header_key(header: str) -> str:
    """One key for "Last Name", "last_name", "ＬＡＳＴ－ＮＡＭＥ" and "lastname"."""
    return _HEADER_SEPARATORS.sub("", unicodedata.normalize("NFKC", header).casefold())


FIELD_BY_HEADER_KEY: dict[str, str] = {}
for _spec in IMPORT_FIELDS:
    for _header in (_spec.name, _spec.header_ja, _spec.header_en, *_spec.aliases):
        FIELD_BY_HEADER_KEY.setdefault(_header_key(_header), _spec.name)

STATUS_BY_CELL: dict[str, str] = {}
for _status in LeadStatus:
    for _text in (_status.value, STATUS_LABELS_JA[_status], STATUS_ENGLISH_LABELS[_status]):
        STATUS_BY_CELL[unicodedata.normalize("NFKC", _text).casefold()] = _status.value


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""

    @property
    def error_rows(self) -> int:
        """How many rows were skipped (a row may have several problems)."""
        return len({error.row for error in self.errors})


@dataclass(frozen=True)
class FilePreview:
    encoding: str
    headers: list[str]
    rows: list[list[str]]
    fields: list[str | None]  # the automatic mapping, one entry per column

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding)


# ---------------------------------------------------------------------------------------------
# Encoding and file checks


def encoding_choice(value: str | None) -> str | None:
    """The encoding a caller asked for: "utf-8", "cp932" or None (detect). Refuses anything else."""
    key = (value or "").strip().lower()
    if key not in ENCODING_ALIASES:
        raise ImportFileError(
            _("Unknown character encoding “%(encoding)s”. Choose UTF-8 or Shift_JIS (CP932).") % {"encoding": value},
            "unknown_encoding",
        )
    return ENCODING_ALIASES[key]


def file_size(file: IO[bytes]) -> int:
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def check_size(size: int) -> None:
    limit = settings.LEAD_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            _("The file is too large (%(size)s MB). Files up to %(limit)s MB can be imported; split it into parts.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            "too_large",
        )
    if size == 0:
        raise ImportFileError(_("The file is empty."), "empty_file")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}".removesuffix(".0")


def _decodes(data: bytes, encoding: str, *, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _lines_decoding(lines: list[bytes], encoding: str) -> int:
    return sum(1 for line in lines if _decodes(line, encoding, final=True))


def _refuse_binary(sample: bytes) -> None:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(
            _("The file is saved as UTF-16 (Unicode text). Save it as “CSV UTF-8” or “CSV (comma delimited)”."),
            "undecodable",
        )
    if sample.startswith(b"PK\x03\x04") or sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is an Excel workbook, not a CSV file. Save it from Excel as “CSV UTF-8” or “CSV”."),
            "not_csv",
        )
    if b"\x00" in sample:
        raise ImportFileError(_("This is not a CSV file (it contains binary data)."), "not_csv")


def _detection_sample(file: IO[bytes]) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES; when they are pure ASCII, the first later block that is not."""
    sample = file.read(SAMPLE_BYTES)
    at_eof = len(sample) < SAMPLE_BYTES
    _refuse_binary(sample)
    if not sample.isascii() or at_eof:
        return sample, at_eof
    scanned = len(sample)
    while scanned < ASCII_SCAN_LIMIT_BYTES:
        block = file.read(SAMPLE_BYTES)
        scanned += len(block)
        block_at_eof = len(block) < SAMPLE_BYTES
        if not block.isascii():
            return block, block_at_eof  # it follows ASCII, so no character is cut at its start
        if block_at_eof:
            break
    return sample, at_eof


def choose_encoding(file: IO[bytes], requested: str | None = None) -> str:
    """The codec to read the file with; leaves the file at its start. Raises ImportFileError."""
    file.seek(0)
    try:
        sample, at_eof = _detection_sample(file)
    finally:
        file.seek(0)
    if sample.startswith(codecs.BOM_UTF8):
        if requested == CP932:
            raise ImportFileError(
                _("The file starts with a UTF-8 byte order mark but Shift_JIS (CP932) was chosen. Choose UTF-8."),
                "undecodable",
            )
        return UTF8_BOM
    candidates = [requested] if requested else [UTF8, CP932]
    for encoding in candidates:
        if _decodes(sample, encoding, final=at_eof):
            return encoding
    # Some lines do not decode: keep the encoding most lines decode in, if that is most of them.
    lines = sample.split(b"\n")
    if not at_eof:
        lines = lines[:-1]  # the last line may be cut
    lines = [line for line in lines if not line.isascii()]
    scored = sorted(((_lines_decoding(lines, encoding), encoding) for encoding in candidates), reverse=True)
    best_count, best = scored[0]
    if best_count * 2 < len(lines) or best_count == 0:
        if requested:
            message = _(
                "The file cannot be read as %(encoding)s. Choose another character encoding or “Detect automatically”."
            ) % {"encoding": ENCODING_LABELS[requested]}
        else:
            message = _("The file's character encoding is neither UTF-8 nor Shift_JIS (CP932). Save it as CSV again.")
        raise ImportFileError(message, "undecodable")
    return best


# ---------------------------------------------------------------------------------------------
# Reading records and columns


class _Lines:
    """The text's lines for csv.reader, counting double quotes per record and noticing the end of file."""

    def __init__(self, text: io.TextIOWrapper):
        self.text = text
        self.quotes = 0
        self.at_end = False

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            self.quotes += line.count('"')
            yield line
        self.at_end = True


CSV_ERROR = "csv_error"  # csv cannot parse the record (a cell longer than csv.field_size_limit())
UNCLOSED_QUOTE = "unclosed_quote"  # the record ran to the end of the file inside a quoted cell
Record = tuple[int, list[str], str | None]


def _records(text: io.TextIOWrapper) -> Iterator[Record]:
    """(row number as a spreadsheet shows it, cells, problem): problem is None, CSV_ERROR or UNCLOSED_QUOTE."""
    lines = _Lines(text)
    reader = csv.reader(lines)
    number = 0
    while True:
        lines.quotes = 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            number += 1
            yield number, [], CSV_ERROR
            continue
        number += 1
        if lines.at_end and lines.quotes % 2:
            yield number, cells, UNCLOSED_QUOTE
            return
        yield number, cells, None


def _is_blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def _read_header(records: Iterator[Record]) -> list[str]:
    for _number, cells, problem in records:
        if problem:
            raise ImportFileError(_("The header row cannot be read as CSV."), "no_header")
        if _is_blank(cells):
            continue
        headers = [cell.strip() for cell in cells]
        headers[0] = headers[0].lstrip("\ufeff").strip()
        if _BAD_CHARACTERS.search("".join(headers)):
            raise ImportFileError(
                _("The header row cannot be read in this character encoding. Choose another one."), "undecodable"
            )
        return headers
    raise ImportFileError(_("The file has no header row (it holds only empty lines)."), "no_header")


def field_for_header(header: str) -> str | None:
    """The lead field a column header names (Japanese or English), or None."""
    return FIELD_BY_HEADER_KEY.get(_header_key(header))


def auto_mapping(headers: Sequence[str]) -> list[str | None]:
    """One field (or None) per column, from the headers; the first column naming a field wins."""
    fields: list[str | None] = []
    taken: set[str] = set()
    for header in headers:
        name = field_for_header(header)
        if name in taken:
            name = None
        if name:
            taken.add(name)
        fields.append(name)
    return fields


def resolve_field_name(value: object, source: str) -> str | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if not isinstance(value, str):
        value = repr(value)
        return None
    name = value.strip() if value.strip() in FIELDS_BY_NAME else field_for_header(value)
    if name is None:
        raise ImportFileError(
            _("The mapping for “%(column)s” names an unknown field “%(field)s”. Fields: %(fields)s.")
            % {"column": source, "field": value, "fields": ", ".join(FIELDS_BY_NAME)},
            "bad_mapping",
        )
    return name


def resolve_columns(
    headers: Sequence[str],
    mapping: dict[str, str | None] | None = None,
    column_fields: Sequence[str | None] | None = None,
) -> list[str | None]:
    """The field each column is imported into; raises ImportFileError for a mapping that cannot work."""
    if column_fields is not None:
        if len(column_fields) != len(headers):
            raise ImportFileError(
                _("The column mapping does not match the file's %(count)s columns.") % {"count": len(headers)},
                "bad_mapping",
            )
        fields = [resolve_field_name(value, headers[index]) for index, value in enumerate(column_fields)]
        explicit = set(range(len(headers)))
    else:
        fields = auto_mapping(headers)
        explicit = set()
        for key, value in (mapping or {}).items():
            indexes = [index for index, header in enumerate(headers) if header == str(key).strip()]
            if not indexes:
                raise ImportFileError(
                    _("The mapping names a column the file does not have: “%(column)s”.") % {"column": key},
                    "bad_mapping",
                )
            name = resolve_field_name(value, str(key))
            for index in indexes:
                fields[index] = name
                explicit.add(index)
        chosen = {fields[index] for index in explicit}
        fields = [name if index in explicit or name not in chosen else None for index, name in enumerate(fields)]
    columns_by_field: dict[str, list[int]] = {}
    for index, name in enumerate(fields):
        if name:
            columns_by_field.setdefault(name, []).append(index)
    for name, indexes in columns_by_field.items():
        if len(indexes) > 1:
            raise ImportFileError(
                _("The columns %(columns)s are all mapped to “%(field)s”. Choose one.")
                % {
                    "columns": "、".join(f"“{headers[index]}”" for index in indexes),
                    "field": FIELDS_BY_NAME[name].label,
                },
                "duplicate_mapping",
            )
    if "email" not in columns_by_field:
        if len(headers) == 1 and ("\t" in headers[0] or ";" in headers[0]):
            message = _("The file does not look comma-separated. Save it as CSV (comma delimited).")
        else:
            message = _(
                "The file has no email column. Name a column “メールアドレス” or “email”, or choose it in the mapping."
            )
        raise ImportFileError(message, "no_email_column")
    return fields


def _open_text(file: IO[bytes], encoding: str) -> io.TextIOWrapper:
    file.seek(0)
    return io.TextIOWrapper(file, encoding=encoding, errors="surrogateescape", newline="")


def _display(cell: str) -> str:
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _BAD_CHARACTERS.search(cell) else cell


def read_header_and_sample(
    file: IO[bytes], encoding: str | None = None, rows: int = PREVIEW_ROWS
) -> tuple[str, list[str], list[list[str]]]:
    """(encoding used, headers, the first non-empty rows) for the mapping screen."""
    check_size(file_size(file))
    encoding_used = choose_encoding(file, encoding_choice(encoding))
    text = _open_text(file, encoding_used)
    try:
        records = _records(text)
        headers = _read_header(records)
        sample: list[list[str]] = []
        for _number, cells, problem in records:
            if len(sample) >= rows:
                break
            if problem or _is_blank(cells):
                continue
            sample.append([_display(cell.strip()) for cell in cells])
    finally:
        text.detach()
        file.seek(0)
    return encoding_used, headers, sample


def preview_file(file: IO[bytes], encoding: str | None = None) -> FilePreview:
    encoding_used, headers, rows = read_header_and_sample(file, encoding)
    return FilePreview(encoding=encoding_used, headers=headers, rows=rows, fields=auto_mapping(headers))


# ---------------------------------------------------------------------------------------------
# Rows -> field values


def _unneutralise(cell: str) -> str:
    """Undo the export's CSV-injection guard ('=...)."""
    if cell[:1] == "'" and cell[1:2] in NEUTRALISED_PREFIXES and len(cell) > 1:
        return cell[1:]
    return cell


def _parse_employees(cell: str) -> int | None:
    if cell.isascii() and cell.isdigit():
        number = int(cell)
    else:
        text = unicodedata.normalize("NFKC", cell).replace(",", "").strip().removesuffix("名").removesuffix("人")
        text = text.strip()
        if not (text.isascii() and text.isdigit()):
            return None
        number = int(text)
    return number if number <= MAX_EMPLOYEES else None


@dataclass(frozen=True)
class _Column:
    index: int
    field: str
    header: str


class _RowReader:
    """Turns one record into the values of the mapped fields, or into errors."""

    def __init__(self, tenant: Tenant, headers: list[str], fields: list[str | None], encoding: str):
        self.width = len(headers)
        self.columns = [
            _Column(index, name, headers[index] or f"#{index + 1}") for index, name in enumerate(fields) if name
        ]
        self.encoding_label = ENCODING_LABELS.get(encoding, encoding)
        self.owner_ids: dict[str, int] = {}
        if "owner" in fields:
            for user_id, email in User.objects.for_tenant(tenant).filter(is_active=True).values_list("pk", "email"):
                self.owner_ids[normalize_email(email)] = user_id

    def read(self, cells: list[str]) -> tuple[dict[str, Any] | None, list[str] | None, list[str]]:
        """(values, tags or None when tags are not mapped, error messages)."""
        joined = "".join(cells)
        if _BAD_CHARACTERS.search(joined):
            if "\x00" in joined:
                return None, None, [_("This row contains a NUL character, which cannot be stored.")]
            return (
                None,
                None,
                [
                    _("This row cannot be read as %(encoding)s. Save the whole file in one character encoding.")
                    % {"encoding": self.encoding_label}
                ],
            )
        if len(cells) > self.width and "".join(cells[self.width :]).strip():
            return (
                None,
                None,
                [
                    _("This row has %(cells)s cells but the header has %(columns)s columns.")
                    % {"cells": len(cells), "columns": self.width}
                ],
            )
        values: dict[str, Any] = {}
        tags: list[str] | None = None
        errors: list[str] = []
        count = len(cells)
        for column in self.columns:
            cell = cells[column.index].strip() if column.index < count else ""
            if cell[:1] == "'":
                cell = _unneutralise(cell)
            name = column.field
            if name in MAX_LENGTHS and len(cell) > MAX_LENGTHS[name]:
                errors.append(
                    _("“%(column)s” is too long: %(length)s characters, at most %(max_length)s.")
                    % {"column": column.header, "length": f"{len(cell):,}", "max_length": MAX_LENGTHS[name]}
                )
            elif name == "email":
                normalized = normalize_email(cell)
                if not cell:
                    errors.append(
                        _("“%(column)s” is empty: every lead needs an email address.") % {"column": column.header}
                    )
                elif not is_valid_address(normalized):
                    errors.append(
                        _("“%(column)s” is not a valid email address: %(value)s")
                        % {"column": column.header, "value": _shorten(cell)}
                    )
                else:
                    values["email"] = sendable_email(cell)  # as Lead.save keeps it: mailable, case kept
                    values["email_normalized"] = normalized
            elif name == "employees":
                if not cell:
                    values["employees"] = None
                else:
                    number = _parse_employees(cell)
                    if number is None:
                        errors.append(
                            _("“%(column)s” must be a whole number (like 1,200), not “%(value)s”.")
                            % {"column": column.header, "value": _shorten(cell)}
                        )
                    else:
                        values["employees"] = number
            elif name == "status":
                if cell:
                    status = STATUS_BY_CELL.get(unicodedata.normalize("NFKC", cell).casefold())
                    if status is None:
                        errors.append(
                            _("“%(column)s”: unknown status “%(value)s”. Use one of %(choices)s.")
                            % {
                                "column": column.header,
                                "value": _shorten(cell),
                                "choices": "、".join(STATUS_LABELS_JA.values()),
                            }
                        )
                    else:
                        values["status"] = status
            elif name == "owner":
                if not cell:
                    values["owner_id"] = None
                else:
                    owner_id = self.owner_ids.get(normalize_email(cell))
                    if owner_id is None:
                        errors.append(
                            _("“%(column)s”: no user with the email address %(value)s in your company.")
                            % {"column": column.header, "value": _shorten(cell)}
                        )
                    else:
                        values["owner_id"] = owner_id
            elif name == "tags":
                names = parse_tag_names(cell, limit=None)
                too_long = [tag for tag in names if len(tag) > MAX_TAG_LENGTH]
                if too_long:  # never cut silently: the row is reported
                    errors.append(
                        _("“%(column)s”: a tag can have at most %(max)s characters: “%(tag)s…” has %(length)s.")
                        % {
                            "column": column.header,
                            "max": MAX_TAG_LENGTH,
                            "tag": too_long[0][:20],
                            "length": f"{len(too_long[0]):,}",
                        }
                    )
                else:
                    tags = names
            else:
                values[name] = cell
        return (None if errors else values), tags, errors


def is_valid_address(normalized: str) -> bool:
    """leads.addresses.is_valid_email, with a fast path for plain addresses (same answers)."""
    if len(normalized) <= MAX_ADDRESS_LENGTH and _PLAIN_ADDRESS.fullmatch(normalized):
        return True
    return is_valid_email(normalized)


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Writing chunks


@dataclass
class _PendingRow:
    row: int
    values: dict[str, Any]
    tags: list[str] | None


@dataclass
class _ExistingLead:
    id: int
    current: dict[str, Any]  # the values of the mapped columns, by attname


class _ChunkWriter:
    """Writes one chunk of valid rows in one transaction, set-based: one lookup of the chunk's addresses
    (returning the current values), one insert, one update of the leads that really change, tags in bulk.

    On PostgreSQL the new leads go in with COPY (ids reserved from the sequence) and the changed ones
    with one UPDATE ... FROM unnest(arrays); no model instance is built per row. Elsewhere (SQLite in
    development) the ORM's bulk_create and bulk_update do the same work. A lead whose values do not
    change is not written (its updated_at stays); tag links change only where the tags differ.
    """

    def __init__(self, tenant: Tenant, fields: list[str | None]):
        self.tenant = tenant
        mapped = {name for name in fields if name}
        self.with_tags = "tags" in mapped
        self.update_fields = sorted({name for name in mapped if name != "tags"} | {"email_normalized"})
        self.attnames = [Lead._meta.get_field(name).attname for name in self.update_fields]
        self.postgresql = connection.vendor == "postgresql" and USE_POSTGRESQL_BULK_SQL
        self.created_total = 0
        self.next_statistics_check = STATISTICS_CHECK_FIRST

    def write(self, rows: list[_PendingRow], *, durable: bool = True) -> tuple[int, int]:
        with transaction.atomic():
            if self.postgresql:
                _start_postgresql_chunk(self.tenant, durable)
            created, updated = self._write(rows)
        self.created_total += created
        if self.postgresql and self.created_total >= self.next_statistics_check:
            _refresh_statistics_if_stale(self.tenant, self.created_total)
            self.next_statistics_check = self.created_total * 2
        return created, updated

    def _write(self, rows: list[_PendingRow]) -> tuple[int, int]:
        addresses = {row.values["email_normalized"] for row in rows}
        if self.postgresql:
            existing = _existing_leads_postgresql(self.tenant, addresses, self.attnames)
        else:
            existing = self._existing_leads(addresses)
        created = updated = 0
        merged: dict[str, dict[str, Any]] = {}
        tags_by_address: dict[str, list[str]] = {}
        for row in rows:
            address = row.values["email_normalized"]
            if address in merged:
                merged[address].update(row.values)
                updated += 1
            else:
                merged[address] = row.values
                if address in existing:
                    updated += 1
                else:
                    created += 1
            if row.tags is not None:
                tags_by_address[address] = row.tags

        now = timezone.now()
        new = {address: values for address, values in merged.items() if address not in existing}
        changed: dict[int, dict[str, Any]] = {}
        for address, lead in existing.items():
            values = merged[address]
            if any(values[attname] != lead.current[attname] for attname in self.attnames if attname in values):
                changed[lead.id] = {**lead.current, **values}
        if self.postgresql:
            ids = _insert_with_copy(self.tenant, new, now)
            _update_with_arrays(changed, self.update_fields, now)
        else:
            ids = self._insert_with_orm(new, now)
            self._update_with_orm(changed, now)
        if self.with_tags:
            ids.update({address: lead.id for address, lead in existing.items()})
            links = self._tag_links(tags_by_address, ids)
            matched_ids = [lead.id for lead in existing.values()]
            if self.postgresql:
                _replace_tag_links_postgresql(matched_ids, links)
            else:
                self._replace_tag_links_with_orm(matched_ids, links)
        return created, updated

    def _tag_links(self, tags_by_address: dict[str, list[str]], ids: dict[str, int]) -> list[tuple[int, int]]:
        """(lead id, tag id) for every tag of every row, creating the tenant's missing tags."""
        names = {name for names in tags_by_address.values() for name in names}
        tag_ids = {name: tag.pk for name, tag in tags_by_name(self.tenant, names).items()}
        return [(ids[address], tag_ids[name]) for address, names in tags_by_address.items() for name in names]

    # The ORM path (SQLite in development; the tests run it on PostgreSQL too).

    def _existing_leads(self, addresses: set[str]) -> dict[str, _ExistingLead]:
        found: dict[str, _ExistingLead] = {}
        rows = (
            Lead.objects.for_tenant(self.tenant)
            .filter(email_normalized__in=addresses)
            .order_by("created_at", "pk")
            .values_list("pk", *self.attnames)
        )
        for lead_id, *current in rows:
            values = dict(zip(self.attnames, current, strict=True))
            found.setdefault(values["email_normalized"], _ExistingLead(lead_id, values))  # the oldest one
        return found

    def _insert_with_orm(self, new: dict[str, dict[str, Any]], now) -> dict[str, int]:
        leads = [Lead(tenant=self.tenant, created_at=now, updated_at=now, **values) for values in new.values()]
        Lead.objects.bulk_create(leads)
        return {lead.email_normalized: lead.pk for lead in leads}

    def _update_with_orm(self, changed: dict[int, dict[str, Any]], now) -> None:
        leads = [Lead(pk=lead_id, tenant=self.tenant, updated_at=now, **values) for lead_id, values in changed.items()]
        Lead.objects.bulk_update(leads, [*self.update_fields, "updated_at"])

    def _replace_tag_links_with_orm(self, matched: list[int], links: list[tuple[int, int]]) -> None:
        through = Lead.tags.through
        wanted = set(links)
        current = through.objects.filter(lead_id__in=matched).values_list("pk", "lead_id", "tag_id")
        stale = [pk for pk, lead_id, tag_id in current if (lead_id, tag_id) not in wanted]
        if stale:
            through.objects.filter(pk__in=stale).delete()
        through.objects.bulk_create(
            [through(lead_id=lead_id, tag_id=tag_id) for lead_id, tag_id in links], ignore_conflicts=True
        )


# The PostgreSQL path: statements over whole chunks. Table and column names come from the models' _meta,
# values always travel as parameters or COPY data.


def _quoted_column(name: str, model=Lead) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _array_type(name: str, model=Lead) -> str:
    return f"{model._meta.get_field(name).db_type(connection)}[]"


def _start_postgresql_chunk(tenant: Tenant, durable: bool) -> None:
    with connection.cursor() as cursor:
        # Two imports into one tenant must not both create the same address.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_NAMESPACE, tenant.pk])
        # Chunks before the last need not wait for the WAL flush: the last chunk's commit flushes the WAL
        # up to itself, so once import_leads returns every chunk is durable. (Inside a caller's transaction
        # SET LOCAL outlives the chunk's savepoint; the last chunk sets it back, so that commit waits.)
        if durable:
            cursor.execute("SET LOCAL synchronous_commit TO DEFAULT")
        else:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _refresh_statistics_if_stale(tenant: Tenant, rows_at_least: int) -> None:
    """ANALYZE the lead table when the planner thinks the tenant has far fewer leads than it has.

    A tenant that was new when the statistics were taken is estimated at about one lead; the address
    lookup then walks the tenant's leads for every address instead of probing (tenant, email). Checked
    as the import doubles the leads it created; autovacuum would get there too, but only later.
    """
    table = connection.ops.quote_name(Lead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE {_quoted_column('tenant')} = %s",  # noqa: S608
            [tenant.pk],
        )
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        if plan[0]["Plan"]["Plan Rows"] * 4 >= rows_at_least:
            return
        try:
            with transaction.atomic():
                cursor.execute(f"ANALYZE {table}")
        except DatabaseError:
            logger.warning("Could not ANALYZE %s during a lead import", table, exc_info=True)


def _existing_leads_postgresql(tenant: Tenant, addresses: set[str], attnames: list[str]) -> dict[str, _ExistingLead]:
    """{address: the oldest lead with it and its current values}: one index probe per address."""
    # A LATERAL subquery with OFFSET 0 is evaluated once per address, so it probes the (tenant,
    # email_normalized) index; as a plain join the planner may instead scan the tenant's leads.
    columns = ", ".join(f"found.{connection.ops.quote_name(attname)}" for attname in attnames)
    inner = ", ".join(connection.ops.quote_name(name) for name in ("created_at", "id", *attnames))
    sql = (
        f"SELECT found.{_quoted_column('created_at')}, found.{_quoted_column('id')}, {columns} "  # noqa: S608
        f"FROM unnest(%s::text[]) AS wanted(address) "
        f"CROSS JOIN LATERAL (SELECT {inner} FROM {connection.ops.quote_name(Lead._meta.db_table)} "
        f"WHERE {_quoted_column('tenant')} = %s AND {_quoted_column('email_normalized')} = wanted.address "
        f"OFFSET 0) AS found"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(addresses), tenant.pk])
        rows = sorted(cursor.fetchall(), key=lambda row: (row[0], row[1]))
    found: dict[str, _ExistingLead] = {}
    for _created_at, lead_id, *current in rows:
        values = dict(zip(attnames, current, strict=True))
        found.setdefault(values["email_normalized"], _ExistingLead(lead_id, values))  # the oldest one
    return found


# Every profile column a new lead gets, with the value it has when the file does not give one.
INSERT_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(TEXT_FIELDS, ""),
    "email": "",
    "email_normalized": "",
    "employees": None,
    "status": LeadStatus.NEW.value,
    "owner": None,
}
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_cell(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def _insert_with_copy(tenant: Tenant, new: dict[str, dict[str, Any]], now) -> dict[str, int]:
    """COPY the new leads in, with ids reserved from the table's sequence first; {address: id}.

    COPY is PostgreSQL's bulk path: no SQL text to parse per value, no parameter adaptation.
    """
    if not new:
        return {}
    names = list(INSERT_DEFAULTS)
    keys = [Lead._meta.get_field(name).attname for name in names]
    defaults = [INSERT_DEFAULTS[name] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [Lead._meta.db_table, Lead._meta.pk.column, len(new)],
        )
        ids = [lead_id for (lead_id,) in cursor.fetchall()]
        fixed = f"{tenant.pk}\t{now.isoformat()}\t{now.isoformat()}"
        lines = []
        for lead_id, values in zip(ids, new.values(), strict=True):
            cells = [_copy_cell(values.get(key, default)) for key, default in zip(keys, defaults, strict=True)]
            lines.append(f"{lead_id}\t{fixed}\t" + "\t".join(cells) + "\n")
        columns = ", ".join(_quoted_column(name) for name in ("id", "tenant", "created_at", "updated_at", *names))
        table = connection.ops.quote_name(Lead._meta.db_table)
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("".join(lines)))
    return dict(zip(new, ids, strict=True))


def _update_with_arrays(matched: dict[int, dict[str, Any]], fields: list[str], now) -> None:
    """One UPDATE ... FROM unnest(ids, one array per mapped column) for the chunk.

    Only mapped columns are set; an empty status cell arrives as NULL and keeps the lead's status.
    The caller sends only leads whose values change; IS DISTINCT FROM keeps it so if a lead changed
    meanwhile. The ids come from the tenant-scoped lookup in this transaction; the join is on the primary
    key alone, because with a tenant condition stale statistics can make it a scan of the tenant's leads.
    """
    if not matched:
        return
    arrays: list[list[Any]] = [list(matched)]
    targets, sources, assignments = [], [], []
    for name in fields:
        key = Lead._meta.get_field(name).attname
        arrays.append([values.get(key) for values in matched.values()])
        column = _quoted_column(name)
        source = f"COALESCE(rows.{column}, target.{column})" if name == "status" else f"rows.{column}"
        targets.append(f"target.{column}")
        sources.append(source)
        assignments.append(f"{column} = {source}")
    assignments.append(f"{_quoted_column('updated_at')} = %s")
    unnest = ", ".join(f"%s::{_array_type(name)}" for name in ("id", *fields))
    row_columns = ", ".join(_quoted_column(name) for name in ("id", *fields))
    sql = (
        f"UPDATE {connection.ops.quote_name(Lead._meta.db_table)} AS target "  # noqa: S608 - names from _meta
        f"SET {', '.join(assignments)} "
        f"FROM unnest({unnest}) AS rows({row_columns}) "
        f"WHERE target.{_quoted_column('id')} = rows.{_quoted_column('id')} "
        f"AND ({', '.join(targets)}) IS DISTINCT FROM ({', '.join(sources)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *arrays])


def _replace_tag_links_postgresql(matched: list[int], links: list[tuple[int, int]]) -> None:
    """The leads' tag links become exactly `links`: stale ones deleted, missing ones added."""
    through = Lead.tags.through
    table = connection.ops.quote_name(through._meta.db_table)
    lead_column, tag_column = _quoted_column("lead", through), _quoted_column("tag", through)
    lead_ids, tag_ids = [lead_id for lead_id, _tag in links], [tag_id for _lead, tag_id in links]
    arrays = f"%s::{_array_type('lead', through)}, %s::{_array_type('tag', through)}"
    with connection.cursor() as cursor:
        if matched:
            cursor.execute(
                f"DELETE FROM {table} AS link USING unnest(%s::{_array_type('lead', through)}) AS matched(id) "  # noqa: S608
                f"WHERE link.{lead_column} = matched.id "
                f"AND NOT EXISTS (SELECT 1 FROM unnest({arrays}) AS wanted(lead_id, tag_id) "
                f"WHERE wanted.lead_id = link.{lead_column} AND wanted.tag_id = link.{tag_column})",
                [matched, lead_ids, tag_ids],
            )
        if links:
            cursor.execute(
                f"INSERT INTO {table} ({lead_column}, {tag_column}) "  # noqa: S608 - names from _meta
                f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
                [lead_ids, tag_ids],
            )


# ---------------------------------------------------------------------------------------------
# The service


def import_leads(
    *,
    tenant: Tenant,
    file: IO[bytes],
    encoding: str | None = None,
    mapping: dict[str, str | None] | None = None,
    column_fields: Sequence[str | None] | None = None,
) -> ImportResult:
    """Import a CSV file of leads into the tenant (upsert by normalized email). See the module docstring.

    Raises ImportFileError (nothing written) when the file as a whole cannot be imported.
    """
    check_size(file_size(file))
    encoding_used = choose_encoding(file, encoding_choice(encoding))
    text = _open_text(file, encoding_used)
    result = ImportResult(encoding=encoding_used)
    try:
        records = _records(text)
        headers = _read_header(records)
        fields = resolve_columns(headers, mapping, column_fields)
        reader = _RowReader(tenant, headers, fields, encoding_used)
        writer = _ChunkWriter(tenant, fields)
        chunks = _valid_rows_in_chunks(records, reader, result.errors)
        chunk = next(chunks, None)
        while chunk is not None:
            following = next(chunks, None)  # one chunk ahead: the last one is written durably
            created, updated = writer.write(chunk, durable=following is None)
            result.created += created
            result.updated += updated
            chunk = following
    finally:
        text.detach()
    return result


def _valid_rows_in_chunks(
    records: Iterable[Record], reader: _RowReader, errors: list[RowError]
) -> Iterator[list[_PendingRow]]:
    chunk: list[_PendingRow] = []
    read = reader.read
    for number, cells, problem in records:
        if problem == CSV_ERROR:
            errors.append(RowError(number, _("This row cannot be read as CSV (a cell may be far too long).")))
            continue
        if problem == UNCLOSED_QUOTE:
            errors.append(
                RowError(
                    number,
                    _(
                        'A double quote (") in this row is never closed, so the rest of the file was read as one '
                        "cell. Close the quote and import the file again."
                    ),
                )
            )
            continue
        if _is_blank(cells):
            continue
        values, tags, messages = read(cells)
        if values is None:
            errors.extend(RowError(number, message) for message in messages)
            continue
        chunk.append(_PendingRow(number, values, tags))
        if len(chunk) >= CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
