"""A view that cannot reach PostgreSQL (restarting, failing over, out of connections) answers 503, not 500.

503 with Retry-After says "try again": mail clients and image proxies retry a tracking pixel, a load
balancer does not count it as a bug, and an API client gets JSON as for every other error. Nothing was
recorded for such a request, so no success is ever answered without its write. Django closes the broken
connection at the end of the request; the next request connects anew. The middleware answers for views;
handler500 (server_error below) for a middleware before them that met the outage reading the session or user.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views import defaults

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


def outage_response(request: HttpRequest) -> HttpResponse:
    """In the request's language (Japanese unless chosen otherwise): LanguageCookieMiddleware is around it."""
    detail = gettext("The service is briefly unavailable. Please try again shortly.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": detail, "code": "service_unavailable"}, status=503)
    else:
        response = HttpResponse(detail + "\n", status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    """Last in MIDDLEWARE, so its process_exception sees a view's exception first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable, answered 503 to %s %s: %s", request.method, request.path, exception)
        return outage_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A middleware that reads the session or the signed-in user before any view runs meets the
    outage there, where no process_exception sees it: Django calls this view, still inside its except block."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        logger.warning(
            "database unavailable before the view, answered 503 to %s %s: %s", request.method, request.path, error
        )
        return outage_response(request)
    return defaults.server_error(request)
