"""Who may open which screen: tenant membership, roles and the mail plan gate (A1, A2).

Every screen uses these decorators; the API uses the matching classes in accounts.permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


def tenant_member_required(view: View) -> View:
    """Signed in and a member of a tenant (staff without a tenant use Django admin)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.tenant is None:
            return render(request, "accounts/no_tenant.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @tenant_member_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.role not in roles:
                return render(request, "accounts/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def mail_plan_required(view: View) -> View:
    """The plan gate (A2): every mail screen is wrapped in this."""

    @tenant_member_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.tenant.has_mail_plan:
            return render(request, "accounts/plan_required.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped
