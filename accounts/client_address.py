"""The address of the client that made a request, for throttling and tracking (K5).

Behind TRUSTED_PROXY_COUNT proxies that each append to X-Forwarded-For, the client is the entry
that many places from the end; anything before it was written by the client and is not trusted.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:45]
    return request.META.get("REMOTE_ADDR") or None
