"""The signed-in user's API token screen (I2): see whether one exists, create it (shown once), revoke it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import api_tokens
from accounts.access import tenant_member_required


def _page(request: HttpRequest, *, new_key: str | None = None) -> HttpResponse:
    token = api_tokens.api_token_of(request.user)
    context = {
        "token": token,
        "masked_key": api_tokens.masked_key(token) if token else "",
        "new_key": new_key,
    }
    return render(request, "accounts/api_token.html", context)


@require_GET
@tenant_member_required
@never_cache
def api_token(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@tenant_member_required
@never_cache
def api_token_create(request: HttpRequest) -> HttpResponse:
    """Answers with the page itself, the only place the whole key is ever shown (not stored in a message)."""
    token = api_tokens.create_api_token(request.user)
    return _page(request, new_key=token.key)


@require_POST
@tenant_member_required
def api_token_revoke(request: HttpRequest) -> HttpResponse:
    if api_tokens.revoke_api_token(request.user):
        messages.success(request, _("Your API token was revoked. Programs using it can no longer sign in."))
    return redirect("api_token:page")
