"""The local mail catcher's outbox page: a development tool, DEBUG only.

Shows every mail the catcher holds (it is the catcher of the person running `make run`, not tenant
data), so a campaign can be sent locally and clicked through. Outside DEBUG every route is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from accounts.access import tenant_member_required
from campaigns.outbox import list_outbox, preview_srcdoc, read_outbox_mail, read_outbox_raw

View = Callable[..., HttpResponse]
INDEX_LIMIT = 200


def debug_only(view: View) -> View:
    """404 unless settings.DEBUG, checked before anything else (also before the login redirect)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@debug_only
@tenant_member_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "campaigns/outbox_index.html", {"mails": list_outbox(limit=INDEX_LIMIT), "limit": INDEX_LIMIT}
    )


@debug_only
@tenant_member_required
def detail(request: HttpRequest, key: str) -> HttpResponse:
    mail = read_outbox_mail(key)
    if mail is None:
        raise Http404
    srcdoc = preview_srcdoc(mail.html) if mail.html is not None else None
    return render(request, "campaigns/outbox_detail.html", {"mail": mail, "srcdoc": srcdoc})


@debug_only
@tenant_member_required
def raw(request: HttpRequest, key: str) -> HttpResponse:
    data = read_outbox_raw(key)
    if data is None:
        raise Http404
    filename = "".join(c if c.isalnum() or c in "._-" else "_" for c in key) + ".eml"
    return HttpResponse(
        data,
        content_type="message/rfc822",
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )
