"""The public endpoints in every campaign mail (K1–K3): open pixel, click redirect, unsubscribe page.

They are found by the message's random token alone, never by a tenant or lead id; an unknown,
malformed or altered token is a 404 that records nothing. They use no session and no login.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from leads.selectors import is_suppressed
from tracking import services
from tracking.machine_activity import RequestFacts
from tracking.rate_limits import limited_per_ip
from tracking.selectors import message_for_unsubscribe, tracked_message

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _uncached(response: HttpResponse, referrer_policy: str = "no-referrer") -> HttpResponse:
    """Never cached; the token in the URL is never passed on as a referrer to another site."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = referrer_policy
    return response


@limited_per_ip("tracking", "TRACKING_REQUESTS_PER_IP_PER_MINUTE")
@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    message = tracked_message(token)
    if message is None:
        raise Http404
    services.record_open(message, RequestFacts.of(request))
    return _uncached(HttpResponse(TRANSPARENT_GIF, content_type="image/gif"))


@limited_per_ip("tracking", "TRACKING_REQUESTS_PER_IP_PER_MINUTE")
@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str, link_number: int) -> HttpResponse:
    if request.GET:  # our links carry no query; anything added (url=...) is not a link we made
        raise Http404
    outcome = services.record_click(token, link_number, RequestFacts.of(request))
    if outcome is None:
        raise Http404
    _message, destination = outcome
    if destination is None:  # the honeypot link: recorded, leads nowhere
        return _uncached(HttpResponse(b"", content_type="text/plain"))
    return _uncached(HttpResponseRedirect(destination))


def _is_one_click(request: HttpRequest) -> bool:
    """RFC 8058: a POST with List-Unsubscribe=One-Click, form-urlencoded or multipart, no cookies."""
    return request.POST.get("List-Unsubscribe") == "One-Click"


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    return CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(request, None, (), {})


@limited_per_ip("tracking", "TRACKING_REQUESTS_PER_IP_PER_MINUTE")
@csrf_exempt  # the one-click POST comes from mail providers without cookies; the page's form is checked below
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET and HEAD show the page and change nothing (scanners fetch links); POST unsubscribes (K3)."""
    message = message_for_unsubscribe(token)
    if message is None:
        raise Http404
    if request.method == "POST" and _is_one_click(request):
        services.unsubscribe(message, RequestFacts.of(request))
        return _uncached(HttpResponse("unsubscribed\n", content_type="text/plain; charset=utf-8"))
    if request.method == "POST":
        refusal = _csrf_refusal(request)
        if refusal is not None:
            return refusal
        services.unsubscribe(message, RequestFacts.of(request))
        done = True
    else:
        done = is_suppressed(message.tenant, message.email_normalized)
    context = {"message": message, "sender": message.tenant.legal_sender_name or message.tenant.name, "done": done}
    # same-origin, not no-referrer: with no-referrer browsers post the form with "Origin: null", which CSRF refuses
    return _uncached(render(request, "tracking/unsubscribe.html", context), referrer_policy="same-origin")
