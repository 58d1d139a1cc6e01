"""Every API error is JSON: {"detail", "code"} or DRF's field errors, never HTML."""

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
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
    return response


@csrf_exempt  # it changes nothing; a POST must get the same JSON 404 as a GET, not CSRF's HTML 403
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any /api/v1/ URL that names no route (or an id that is not a number): JSON, never Django's HTML page."""
    return JsonResponse(
        {"detail": str(exceptions.NotFound.default_detail), "code": exceptions.NotFound.default_code}, status=404
    )
