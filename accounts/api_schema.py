"""OpenAPI post-processing: the error answers every operation can give, and integer ids in paths.

drf-spectacular documents the success answers of each view; the errors come from DRF and our exception
handler (accounts.api_errors) and have the same two shapes everywhere, so they are added here once:

- 401 no or unknown token, 403 not allowed (no company, no mail plan, not the owner, not an admin);
- 404 for every path with an `{id}` (also a foreign one, A3) and every paginated list (a page past the end);
- 400 for every operation that takes a body or validates query parameters;
- 415 for every operation that takes a body (JSON; multipart/form-data for the CSV import).

An operation that documents one of these codes itself keeps its own description (and schema, if it gives one).

And every property of an answer is marked required: a DRF serializer always writes each of its fields (null
when there is no value), while drf-spectacular lists only the fields that are required as input. Request
bodies have components of their own (COMPONENT_SPLIT_REQUEST, names ending in "Request"), left as they are.
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
ERROR_OR_FIELD_ERRORS = "ErrorOrFieldErrors"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'Every error that is not about a field: {"detail": "<message>", "code": "<machine code>"}.',
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail", "code"],
}
FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        'DRF\'s field errors: {"<field>": ["<message>", ...]}; "non_field_errors" for the request as a whole; '
        "a list or nested field may answer an object keyed by item index or sub-field."
    ),
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
    },
    "minProperties": 1,
}

DESCRIPTIONS = {
    "400": 'Invalid input: field errors, or {"detail", "code"} (e.g. "parse_error" for malformed JSON).',
    "401": 'No valid token: send "Authorization: Token <key>". Code "not_authenticated" or "authentication_failed".',
    "403": (
        "Not allowed: the user belongs to no company, the company has no mail plan (mail APIs), "
        "or the user's role or ownership does not permit it."
    ),
    "404": "No such object in your company (another company's id answers the same), or no such page.",
    "415": "The body is not in a media type the operation takes (application/json; the CSV import multipart).",
}
# every other query parameter is parsed by a serializer and may answer 400
PAGINATION_PARAMETERS = {"page", "page_size"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(code: str, schema_name: str) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": _ref(schema_name)}}}


def _error_codes(path: str, operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    names = {parameter["name"] for parameter in parameters}
    codes = ["401", "403"]
    if "{" in path or "page" in names:
        codes.append("404")
    query = {parameter["name"] for parameter in parameters if parameter.get("in") == "query"}
    if "requestBody" in operation or query - PAGINATION_PARAMETERS:
        codes.append("400")
    if "requestBody" in operation:
        codes.append("415")
    return codes


def _integer_ids(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] == "id":
            parameter["schema"] = {"type": "integer", "description": "The object's id."}


def _answers_have_every_field(schemas: dict[str, Any]) -> None:
    for name, component in schemas.items():
        properties = component.get("properties")
        if name.endswith("Request") or not properties:
            continue
        component["required"] = sorted(key for key, value in properties.items() if not value.get("writeOnly"))


def document_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry (see SPECTACULAR_SETTINGS)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    _answers_have_every_field(schemas)
    schemas[ERROR] = ERROR_SCHEMA
    schemas["FieldErrors"] = FIELD_ERRORS_SCHEMA
    schemas[ERROR_OR_FIELD_ERRORS] = {"anyOf": [_ref(ERROR), _ref("FieldErrors")]}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            _integer_ids(operation)
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, operation):
                responses.setdefault(code, {"description": DESCRIPTIONS[code]})
            for code, response in responses.items():
                if code in DESCRIPTIONS and "content" not in response:  # a view's own description, our shapes
                    response["content"] = _answer(code, ERROR_OR_FIELD_ERRORS if code == "400" else ERROR)["content"]
    return result
