"""Lead list screens (L3): the index, the filter screen (絞り込み) with its live preview, the list page."""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import tenant_member_required
from leads import selectors, services
from leads.csv_export import stream_leads_csv
from leads.filter_form import (
    ROW_KEY,
    FilterScreen,
    LeadListNameForm,
    attach_choices,
    default_row,
    describe_filter,
    read_filter_screen,
    row_from_post,
    rows_as_posted,
    rows_from_filter,
    tag_names,
)
from leads.filters import FilterError
from leads.models import LeadList
from leads.views import query_without_page

LISTS_PER_PAGE = 25
LEADS_PER_PAGE = 50
PREVIEW_LEADS_PER_PAGE = 20


@tenant_member_required
def index(request: HttpRequest) -> HttpResponse:
    """Every list with the number of leads it matches now."""
    page = Paginator(selectors.lead_lists_for_index(request.tenant), LISTS_PER_PAGE).get_page(request.GET.get("page"))
    summaries = [selectors.summarize_list(lead_list) for lead_list in page.object_list]
    context = {"page_obj": page, "summaries": summaries, "query_without_page": query_without_page(request)}
    return render(request, "leads/list_index.html", context)


@tenant_member_required
def detail(request: HttpRequest, list_id: int) -> HttpResponse:
    lead_list = get_object_or_404(LeadList.objects.for_tenant(request.tenant), pk=list_id)
    context = {
        "lead_list": lead_list,
        "conditions": describe_filter(lead_list.filter, request.tenant),
        "query_without_page": query_without_page(request),
    }
    try:
        leads = selectors.resolve_list(lead_list).select_related("owner")
        context["page_obj"] = Paginator(leads, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    except FilterError as error:
        context["filter_error"] = error.message
    return render(request, "leads/list_detail.html", context)


@tenant_member_required
def create(request: HttpRequest) -> HttpResponse:
    return filter_screen(request, None)


@tenant_member_required
def edit(request: HttpRequest, list_id: int) -> HttpResponse:
    return filter_screen(request, get_object_or_404(LeadList.objects.for_tenant(request.tenant), pk=list_id))


def filter_screen(request: HttpRequest, lead_list: LeadList | None) -> HttpResponse:
    """GET shows the list's conditions (one empty row for a new list); POST saves."""
    tenant = request.tenant
    if request.method == "POST":
        form = LeadListNameForm(request.POST)
        screen = read_filter_screen(request.POST, tenant, complete=True)
        if form.is_valid() and screen.is_valid:
            try:
                lead_list = save_list(request, lead_list, form.cleaned_data["name"], screen.lead_filter)
            except FilterError as error:  # e.g. an owner deleted between preview and save
                screen.general_error = error.message
            else:
                messages.success(request, _("The list “%(name)s” was saved.") % {"name": lead_list.name})
                return redirect("leads:list_detail", list_id=lead_list.pk)
        preview = preview_context(request, screen, page_number=1)
    else:
        if lead_list is None:
            form = LeadListNameForm()
            screen = FilterScreen([default_row()], {"all": []})
        else:
            form = LeadListNameForm(initial={"name": lead_list.name})
            rows, message = rows_from_filter(lead_list.filter)
            screen = read_filter_screen(rows_as_posted(rows), tenant, complete=True)
            screen.general_error = screen.general_error or message
        preview = preview_context(request, screen, page_number=1)
    attach_choices(screen.rows, tenant)
    context = {"form": form, "screen": screen, "lead_list": lead_list, "tag_names": tag_names(tenant), **preview}
    return render(request, "leads/list_form.html", context)


def save_list(request: HttpRequest, lead_list: LeadList | None, name: str, lead_filter: dict) -> LeadList:
    if lead_list is None:
        return services.create_lead_list(tenant=request.tenant, name=name, filter=lead_filter, created_by=request.user)
    return services.update_lead_list(lead_list=lead_list, name=name, filter=lead_filter)


def preview_context(request: HttpRequest, screen: FilterScreen, *, page_number) -> dict:
    """The count and one page of matching leads, or nothing when the conditions have an error."""
    if not screen.is_valid:
        return {"preview_page": None}
    leads = selectors.leads_matching(request.tenant, screen.lead_filter).select_related("owner")
    return {"preview_page": Paginator(leads, PREVIEW_LEADS_PER_PAGE).get_page(page_number)}


@tenant_member_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The live preview (htmx): count and table, plus each row's error or note swapped out of band."""
    screen = read_filter_screen(request.POST, request.tenant, complete=False)
    context = {"screen": screen, "oob": True, **preview_context(request, screen, page_number=request.POST.get("page"))}
    return render(request, "leads/list_preview.html", context)


@tenant_member_required
@require_GET
def filter_row(request: HttpRequest) -> HttpResponse:
    """One condition row (htmx): a new one, or the posted one redrawn after its field or op changed."""
    key = request.GET.get("row", "")
    if key:
        row = row_from_post(request.GET, key) if ROW_KEY.fullmatch(key) else default_row()
        changed = request.headers.get("HX-Trigger-Name", "")
        row.autofocus = "op" if changed.endswith("-op") else "field"
    else:
        row = default_row()
        row.autofocus = "field"
    attach_choices([row], request.tenant)
    response = render(request, "leads/list_filter_row.html", {"row": row})
    if key:
        response["HX-Trigger-After-Settle"] = json.dumps({"filter-changed": {"target": "#list-filter-form"}})
    return response


@tenant_member_required
@require_POST
def delete(request: HttpRequest, list_id: int) -> HttpResponse:
    lead_list = get_object_or_404(LeadList.objects.for_tenant(request.tenant), pk=list_id)
    services.delete_lead_list(lead_list=lead_list)
    messages.success(request, _("The list “%(name)s” was deleted.") % {"name": lead_list.name})
    return redirect("leads:list_index")


@tenant_member_required
def export(request: HttpRequest, list_id: int) -> HttpResponse:
    """The list's leads now, as CSV for Japanese Excel (UTF-8 with BOM, formula cells neutralised)."""
    lead_list = get_object_or_404(LeadList.objects.for_tenant(request.tenant), pk=list_id)
    try:
        leads = selectors.resolve_list(lead_list)
    except FilterError as error:
        messages.error(request, error.message)
        return redirect("leads:list_detail", list_id=lead_list.pk)
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", lead_list.name).strip("_") or _("Lead list")
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
    return stream_leads_csv(leads, f"{name}_{stamp}.csv")
