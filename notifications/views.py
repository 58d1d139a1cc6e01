"""The envelope menu (N1): unread badge (polled by htmx), the list, marking read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import tenant_member_required
from notifications import selectors, services

NOTIFICATIONS_PER_PAGE = 50
MENU_SIZE = 8


@require_GET
@tenant_member_required
def badge(request: HttpRequest) -> HttpResponse:
    """The envelope with the unread count; the page polls it, so it stays current without reloading."""
    return render(request, "notifications/badge.html", {"unread": selectors.unread_count(request.user)})


@require_GET
@tenant_member_required
def menu(request: HttpRequest) -> HttpResponse:
    """The latest few, shown when the envelope is opened."""
    latest = selectors.notifications_for(request.user)[:MENU_SIZE]
    return render(request, "notifications/menu.html", {"notifications": latest})


@require_GET
@tenant_member_required
def index(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.notifications_for(request.user), NOTIFICATIONS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "notifications/index.html", {"page_obj": page, "notifications": page.object_list})


@require_POST
@tenant_member_required
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Marks it read and goes to the lead it is about (or back to the list when the lead is gone)."""
    if not services.mark_read(request.user, notification_id):
        raise Http404
    notification = selectors.notifications_for(request.user).get(pk=notification_id)
    if notification.lead_id is not None:
        return redirect("leads:detail", notification.lead_id)
    return redirect("notifications:index")


@require_POST
@tenant_member_required
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(request.user)
    return redirect("notifications:index")
