"""Every API error is JSON: {"detail", "code"} or DRF's field errors, never HTML."""

import re

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


def json_exception_handler(exc, context) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list):  # ValidationError("...") about the request as a whole: field errors' form
        response.data = data = {api_settings.NON_FIELD_ERRORS_KEY: data}
    if isinstance(data, dict) and "detail" in data and "code" not in data:
        detail = data["detail"]
        data["code"] = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = _encodable(response.data)
    return response


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(data):
    """Messages echo the input ("“\ud800” is not a valid choice"); a lone surrogate, which JSON can carry but
    UTF-8 cannot, is shown as its escape so that the error itself can be sent (instead of a 500)."""
    if isinstance(data, str):
        if not LONE_SURROGATE.search(data):
            return data
        text = data.encode("utf-8", "backslashreplace").decode("utf-8")
        return ErrorDetail(text, code=data.code) if isinstance(data, ErrorDetail) else text
    if isinstance(data, dict):
        return {_encodable(key): _encodable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_encodable(item) for item in data]
    return data


@csrf_exempt  # it changes nothing; a POST must get the same JSON 404 as a GET, not CSRF's HTML 403
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any /api/ URL that names no route (or an id that is not a number): JSON, never Django's HTML page."""
    return JsonResponse(
        {"detail": str(exceptions.NotFound.default_detail), "code": exceptions.NotFound.default_code}, status=404
    )
