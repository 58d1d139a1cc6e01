"""POST /api/v1/leads/import/: the CSV import (L2) for API clients; same service as the screens."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import csv_import


class ImportRequestSerializer(serializers.Serializer):
    """The multipart form, for the schema (the view reads the fields itself to answer {"detail", "code"})."""

    file = serializers.FileField(help_text="The CSV file; the first row holds the column names.")
    encoding = serializers.ChoiceField(
        choices=["", "utf-8", "cp932"], required=False, help_text='"utf-8", "cp932" (Shift_JIS), or empty to detect.'
    )
    mapping = serializers.CharField(
        required=False,
        help_text=(
            'A JSON object from CSV header to lead field name, e.g. {"Mail": "email", "Memo": ""}; '
            "an empty value skips the column. Headers not named are recognised automatically. "
            f"Fields: {', '.join(csv_import.FIELDS_BY_NAME)}."
        ),
    )

    class Meta:
        ref_name = "LeadImport"  # "LeadImportRequest" in the schema (COMPONENT_SPLIT_REQUEST)


ImportResultSerializer = inline_serializer(
    "LeadImportResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "errors": serializers.ListField(
            child=inline_serializer(
                "LeadImportRowError", {"row": serializers.IntegerField(), "message": serializers.CharField()}
            )
        ),
    },
)
ErrorSerializer = inline_serializer(
    "LeadImportError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


def error_response(message: str, code: str) -> Response:
    return Response({"detail": message, "code": code}, status=status.HTTP_400_BAD_REQUEST)


def parse_mapping(raw: str | None) -> dict[str, str | None] | None:
    """The `mapping` form field: a JSON object of header -> field name (or "" / null)."""
    if raw is None or raw.strip() == "":
        return None
    try:
        mapping = json.loads(raw)
    except ValueError as error:
        raise csv_import.ImportFileError(
            _("“mapping” is not valid JSON: %(reason)s") % {"reason": error}, "bad_mapping"
        ) from error
    if not isinstance(mapping, dict) or not all(isinstance(value, str) or value is None for value in mapping.values()):
        raise csv_import.ImportFileError(
            _("“mapping” must be a JSON object from CSV column name to lead field name."), "bad_mapping"
        )
    for key, value in mapping.items():
        csv_import.resolve_field_name(value, key)
    return mapping


class LeadImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="leads_import",
        summary="Import leads from a CSV file",
        description=(
            "Upsert by email within your company. Headers are recognised in Japanese or English "
            "(会社名/company_name, 姓/last_name, 名/first_name, メールアドレス/email, ...). Bad rows are "
            "skipped and reported with their spreadsheet row number (the header is row 1); good rows are kept."
        ),
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(ImportResultSerializer, description="The import ran; bad rows are in `errors`."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The file as a whole cannot be imported (nothing was written), or a bad `mapping`.",
                examples=[
                    OpenApiExample(
                        "No email column",
                        value={"detail": "The file has no email column.", "code": "no_email_column"},
                    )
                ],
            ),
        },
        tags=["leads"],
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            return error_response(_("Attach the CSV file as the form field “file”."), "file_required")
        try:
            encoding = csv_import.encoding_choice(request.data.get("encoding"))
            mapping = parse_mapping(request.data.get("mapping"))
            result = csv_import.import_leads(
                tenant=request.user.tenant, file=upload, encoding=encoding, mapping=mapping
            )
        except csv_import.ImportFileError as error:
            return error_response(error.message, error.code)
        return Response(
            {
                "created": result.created,
                "updated": result.updated,
                "errors": [{"row": error.row, "message": error.message} for error in result.errors],
            }
        )
