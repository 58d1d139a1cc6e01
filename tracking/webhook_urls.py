"""django-anymail's tracking webhook URLs (K4), each view wrapped so a malformed body is a 400, never a 500.

anymail authenticates a post (basic auth with ANYMAIL_WEBHOOK_SECRET, and the ESP's signature
where it has one) before it parses the body; a body that then is not what the ESP sends (broken
JSON, a list where an object belongs) raises inside anymail's parser. That is bad input, not our
fault: it is logged and refused with 400 so the ESP shows it as failed. The webhook of a provider
this installation is not configured for (its signing key or package missing) is a 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError, AnymailImproperlyInstalled
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern

from tracking.rate_limits import limited_per_ip

logger = logging.getLogger(__name__)

MALFORMED_PAYLOAD_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def refuse_malformed_payloads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps anymail's csrf_exempt mark
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (AnymailConfigurationError, AnymailImproperlyInstalled):
            # a provider this installation is not set up for (its signing key or package is missing)
            logger.error("webhook of an unconfigured provider called at %s", request.path, exc_info=True)
            raise Http404 from None
        except MALFORMED_PAYLOAD_ERRORS:
            logger.warning("malformed webhook payload at %s", request.path, exc_info=True)
            return HttpResponseBadRequest("malformed webhook payload", content_type="text/plain")

    return wrapped


# tracking webhooks only: inbound mail is not a feature of the product
def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return limited_per_ip("webhook", "WEBHOOK_REQUESTS_PER_IP_PER_MINUTE")(refuse_malformed_payloads(view))


urlpatterns = [
    URLPattern(pattern.pattern, _guarded(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urls.urlpatterns
    if pattern.name.endswith("_tracking_webhook")
]
