"""CSV import screens (upload -> column mapping and preview -> result) and the CSV export (L2).

The uploaded file waits in settings.LEAD_IMPORT_DIR under a random token; the token is only valid
in the session that uploaded it, for the same tenant and user (anything else answers 404). Files
older than a day (abandoned uploads, old error lists) are removed on the next upload.
"""

from __future__ import annotations

import csv
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.access import tenant_member_required
from leads import csv_import, selectors
from leads.csv_export import attachment_header, stream_leads_csv, write_row_errors_csv

SESSION_KEY = "lead_imports"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,100}")
MAX_PENDING_IMPORTS = 10
KEEP_FILES_SECONDS = 24 * 60 * 60
ERRORS_SHOWN = 1000
DO_NOT_IMPORT = ""

ENCODING_CHOICES = [
    ("", gettext_lazy("Detect automatically")),
    (csv_import.UTF8, "UTF-8"),
    (csv_import.CP932, "Shift_JIS (CP932)"),
]


# ---------------------------------------------------------------------------------------------
# Forms


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("The first row must hold the column names. Up to %(limit)s MB."),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Character encoding"),
        choices=ENCODING_CHOICES,
        required=False,
        help_text=gettext_lazy(
            "Leave it on “Detect automatically” unless the preview shows garbled characters. "
            "Excel’s “CSV (comma delimited)” is Shift_JIS; “CSV UTF-8” is UTF-8."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.LEAD_IMPORT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = self.fields["file"].help_text % {"limit": limit}
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            csv_import.check_size(upload.size)
        except csv_import.ImportFileError as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        return upload


class MappingForm(forms.Form):
    """One <select> per CSV column: the lead field it goes into, or 取り込まない."""

    def __init__(self, *args, headers: list[str], initial_fields: list[str | None], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [(DO_NOT_IMPORT, _("Do not import"))] + [(spec.name, spec.label) for spec in csv_import.IMPORT_FIELDS]
        for index, header in enumerate(headers):
            self.fields[self.field_key(index)] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=initial_fields[index] or DO_NOT_IMPORT,
            )

    @staticmethod
    def field_key(index: int) -> str:
        return f"column_{index}"

    def clean(self):
        cleaned = super().clean()
        columns_by_field: dict[str, list[int]] = {}
        for index in range(len(self.headers)):
            name = cleaned.get(self.field_key(index))
            if name:
                columns_by_field.setdefault(name, []).append(index)
        for name, indexes in columns_by_field.items():
            if len(indexes) > 1:
                label = csv_import.FIELDS_BY_NAME[name].label
                for index in indexes:
                    self.add_error(
                        self.field_key(index),
                        _("“%(field)s” is chosen for more than one column. Choose it for one column only.")
                        % {"field": label},
                    )
        if "email" not in columns_by_field:
            raise forms.ValidationError(
                _("Choose the column that holds the email address: every lead needs one."), code="no_email_column"
            )
        return cleaned

    def column_fields(self) -> list[str | None]:
        return [self.cleaned_data.get(self.field_key(index)) or None for index in range(len(self.headers))]

    def rows_with_examples(self, sample: list[list[str]]) -> list[tuple[forms.BoundField, list[str]]]:
        """Each column's <select> with up to three non-empty values from the sample rows."""
        rows = []
        for index in range(len(self.headers)):
            examples = [row[index] for row in sample if index < len(row) and row[index]][:3]
            rows.append((self[self.field_key(index)], examples))
        return rows


# ---------------------------------------------------------------------------------------------
# The waiting file and its session entry


def import_dir() -> Path:
    directory = Path(settings.LEAD_IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def source_path(token: str) -> Path:
    return import_dir() / f"{token}.csv"


def errors_path(token: str) -> Path:
    return import_dir() / f"{token}.errors.csv"


def remove_stale_files() -> None:
    limit = time.time() - KEEP_FILES_SECONDS
    for path in import_dir().glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def start_pending_import(request: HttpRequest, upload, encoding: str) -> str:
    """Save the upload under a random token and remember it in this session; return the token."""
    remove_stale_files()
    token = secrets.token_urlsafe(24)
    with source_path(token).open("wb") as destination:
        for piece in upload.chunks():
            destination.write(piece)
    imports = dict(request.session.get(SESSION_KEY, {}))
    for old_token in sorted(imports, key=lambda key: imports[key]["at"])[
        : max(0, len(imports) - MAX_PENDING_IMPORTS + 1)
    ]:
        discard_files(old_token)
        del imports[old_token]
    imports[token] = {
        "tenant": request.tenant.pk,
        "user": request.user.pk,
        "name": upload.name[:200],
        "encoding": encoding,
        "at": time.time(),
    }
    request.session[SESSION_KEY] = imports
    return token


def pending_import(request: HttpRequest, token: str) -> dict:
    """This session's import with the token, for this tenant and user; 404 otherwise."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise Http404
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("tenant") != request.tenant.pk or entry.get("user") != request.user.pk:
        raise Http404
    return entry


def save_entry(request: HttpRequest, token: str, entry: dict) -> None:
    imports = dict(request.session.get(SESSION_KEY, {}))
    imports[token] = entry
    request.session[SESSION_KEY] = imports


def discard_files(token: str) -> None:
    for path in (source_path(token), errors_path(token)):
        path.unlink(missing_ok=True)


def waiting_file(token: str) -> Path:
    path = source_path(token)
    if not path.exists():
        raise Http404
    return path


# ---------------------------------------------------------------------------------------------
# Views


@tenant_member_required
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        encoding = form.cleaned_data["encoding"]
        token = start_pending_import(request, form.cleaned_data["file"], encoding)
        try:
            with source_path(token).open("rb") as file:
                csv_import.read_header_and_sample(file, encoding or None)
        except csv_import.ImportFileError as error:
            discard_files(token)
            form.add_error("file", error.message)
        else:
            return redirect("leads:import_mapping", token=token)
    return render(request, "leads/import_upload.html", {"form": form, "fields": csv_import.IMPORT_FIELDS})


@tenant_member_required
@require_GET
def mapping(request: HttpRequest, token: str) -> HttpResponse:
    entry = pending_import(request, token)
    chosen = request.GET.get("encoding")
    if chosen is not None and chosen in dict(ENCODING_CHOICES):
        entry["encoding"] = chosen
        save_entry(request, token, entry)
    return render_mapping(request, token, entry)


def render_mapping(request: HttpRequest, token: str, entry: dict, form: MappingForm | None = None) -> HttpResponse:
    path = waiting_file(token)
    try:
        with path.open("rb") as file:
            preview = csv_import.preview_file(file, entry["encoding"] or None)
    except csv_import.ImportFileError as error:
        context = {"token": token, "entry": entry, "file_error": error.message, "encodings": ENCODING_CHOICES}
        return render(request, "leads/import_mapping.html", context)
    if form is None:
        form = MappingForm(headers=preview.headers, initial_fields=preview.fields)
    context = {
        "token": token,
        "entry": entry,
        "preview": preview,
        "form": form,
        "mapping_rows": form.rows_with_examples(preview.rows),
        "encodings": ENCODING_CHOICES,
        "auto_detected": not entry["encoding"],
    }
    return render(request, "leads/import_mapping.html", context)


@tenant_member_required
@require_POST
def run(request: HttpRequest, token: str) -> HttpResponse:
    entry = pending_import(request, token)
    path = waiting_file(token)
    try:
        with path.open("rb") as file:
            headers = csv_import.read_header_and_sample(file, entry["encoding"] or None, rows=0)[1]
    except csv_import.ImportFileError:
        return render_mapping(request, token, entry)
    form = MappingForm(request.POST, headers=headers, initial_fields=csv_import.auto_mapping(headers))
    if not form.is_valid():
        return render_mapping(request, token, entry, form)
    try:
        with path.open("rb") as file:
            result = csv_import.import_leads(
                tenant=request.tenant, file=file, encoding=entry["encoding"] or None, column_fields=form.column_fields()
            )
    except csv_import.ImportFileError as error:
        form.add_error(None, error.message)
        return render_mapping(request, token, entry, form)
    with errors_path(token).open("w", encoding="utf-8-sig", newline="") as errors_file:
        write_row_errors_csv(result.errors, errors_file)
    path.unlink(missing_ok=True)
    entry["result"] = {
        "created": result.created,
        "updated": result.updated,
        "errors": len(result.errors),
        "error_rows": result.error_rows,
        "encoding": csv_import.ENCODING_LABELS.get(result.encoding, result.encoding),
    }
    save_entry(request, token, entry)
    return redirect("leads:import_result", token=token)


@tenant_member_required
@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    entry = pending_import(request, token)
    if "result" not in entry:
        return redirect("leads:import_mapping", token=token)
    errors: list[tuple[str, str]] = []
    if entry["result"]["errors"]:
        path = errors_path(token)
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as errors_file:
                reader = csv.reader(errors_file)
                next(reader, None)
                for cells in reader:
                    if len(errors) >= ERRORS_SHOWN:
                        break
                    errors.append((cells[0], cells[1].removeprefix("'")))
    context = {
        "token": token,
        "entry": entry,
        "result": entry["result"],
        "errors": errors,
        "errors_hidden": max(0, entry["result"]["errors"] - len(errors)),
    }
    return render(request, "leads/import_result.html", context)


@tenant_member_required
@require_GET
def errors_download(request: HttpRequest, token: str) -> HttpResponse:
    pending_import(request, token)
    path = errors_path(token)
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="text/csv; charset=utf-8")
    name = _("Import errors")
    response["Content-Disposition"] = attachment_header(f"{name}_{timezone.localtime():%Y%m%d_%H%M}.csv")
    return response


@tenant_member_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    sort = request.GET.get("sort", selectors.DEFAULT_LEAD_SORT)
    leads = selectors.leads_for_index(request.tenant, search=search, sort=sort)
    name = _("Leads")
    return stream_leads_csv(leads, f"{name}_{timezone.localtime():%Y%m%d_%H%M}.csv")
