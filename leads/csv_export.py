"""CSV export of leads (L2): opens correctly in Japanese Excel and imports back unchanged.

- UTF-8 with a byte order mark (Excel reads BOM-less UTF-8 as Shift_JIS), CRLF line endings.
- The header uses the Japanese column names leads.csv_import recognises, and the cells are in the
  forms it reads (status as its Japanese label, owner as the user's email, tags joined by "; "),
  so export -> import round-trips.
- Every cell that starts with = + - @ tab or CR gets a leading single quote, so a spreadsheet shows it
  as text and never runs it as a formula (CSV injection); the import removes that quote again.
- Rows are streamed with QuerySet.iterator(); owner (select_related) and tags (one prefetch query per
  chunk) cost no query per lead.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from leads.csv_import import IMPORT_FIELDS, NEUTRALISED_PREFIXES, STATUS_LABELS_JA
from leads.models import Lead, Tag

if TYPE_CHECKING:
    from leads.csv_import import RowError

EXPORT_CHUNK_SIZE = 2000
ROWS_PER_WRITE = 200
EXPORT_HEADERS = [spec.header_ja for spec in IMPORT_FIELDS]


def neutralise(cell: str) -> str:
    """A leading quote for cells a spreadsheet would take as a formula."""
    return "'" + cell if cell.startswith(NEUTRALISED_PREFIXES) else cell


class _Line:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value: str) -> str:
        return value


def lead_cells(lead: Lead) -> list[str]:
    """One lead as export cells, in the order of EXPORT_HEADERS (neutralised)."""
    cells = [
        lead.company_name,
        lead.last_name,
        lead.first_name,
        lead.email,
        lead.phone,
        lead.department,
        lead.title,
        lead.industry,
        lead.prefecture,
        "" if lead.employees is None else str(lead.employees),
        lead.website,
        STATUS_LABELS_JA.get(lead.status, lead.status),
        "; ".join(sorted(tag.name for tag in lead.tags.all())),
        lead.owner.email if lead.owner_id and lead.owner else "",
    ]
    return [neutralise(cell) for cell in cells]


def csv_lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text in pieces (CRLF, no BOM): the header, then the rows a few hundred at a time."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(header)
    batch: list[str] = []
    for cells in rows:
        batch.append(writer.writerow(cells))
        if len(batch) >= ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def export_lines(leads: QuerySet[Lead]) -> Iterator[str]:
    """The leads CSV text in pieces: header first, then the leads (no BOM)."""
    leads = leads.select_related("owner").prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))
    return csv_lines(EXPORT_HEADERS, (lead_cells(lead) for lead in leads.iterator(chunk_size=EXPORT_CHUNK_SIZE)))


def _encoded(lines: Iterable[str]) -> Iterator[bytes]:
    yield codecs.BOM_UTF8
    for text in lines:
        yield text.encode("utf-8")


def attachment_header(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the real name as RFC 5987 filename*."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    ascii_stem = re.sub(r"[^A-Za-z0-9-]+", "_", stem).strip("_") or "export"
    ascii_extension = re.sub(r"[^A-Za-z0-9]+", "", extension)
    fallback = f"{ascii_stem}.{ascii_extension}" if ascii_extension else ascii_stem
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def csv_download(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download, UTF-8 with a byte order mark (Japanese Excel); `filename` may be Japanese."""
    response = StreamingHttpResponse(_encoded(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_header(filename)
    response["Cache-Control"] = "no-store"
    return response


def stream_leads_csv(leads: QuerySet[Lead], filename: str) -> StreamingHttpResponse:
    """A download of these leads as CSV."""
    return csv_download(export_lines(leads), filename)


def write_row_errors_csv(errors: Iterable[RowError], file: IO[str]) -> None:
    """The rows an import skipped, as CSV (row number, problem) into a text file opened with newline=""."""
    writer = csv.writer(file, lineterminator="\r\n")
    writer.writerow([_("Row"), _("Problem")])
    writer.writerows([str(error.row), neutralise(error.message)] for error in errors)
