from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import tenant_member_required
from leads import selectors, services
from leads.forms import LeadForm
from leads.models import Lead

LEADS_PER_PAGE = 50


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


@tenant_member_required
def index(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    sort = request.GET.get("sort", selectors.DEFAULT_LEAD_SORT)
    leads = selectors.leads_for_index(request.tenant, search=search, sort=sort)
    page = Paginator(leads, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "search": search,
        "sort": sort if sort in selectors.LEAD_SORTS else selectors.DEFAULT_LEAD_SORT,
        "query_without_page": query_without_page(request),
    }
    return render(request, "leads/index.html", context)


@tenant_member_required
def detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_object_or_404(
        Lead.objects.for_tenant(request.tenant).with_unsubscribed().select_related("owner"), pk=lead_id
    )
    context = {
        "lead": lead,
        "timeline": selectors.lead_timeline(lead),
        "timeline_limit": selectors.TIMELINE_LIMIT,
        "tags": lead.tags.all(),
    }
    return render(request, "leads/detail.html", context)


@tenant_member_required
def create(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        lead = services.create_lead(tenant=request.tenant, **form.lead_fields())
        messages.success(request, _("The lead was added."))
        return redirect("leads:detail", lead_id=lead.pk)
    return render(request, "leads/form.html", {"form": form})


@tenant_member_required
def edit(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.for_tenant(request.tenant), pk=lead_id)
    form = LeadForm(request.POST or None, instance=lead, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        services.update_lead(lead=lead, **form.lead_fields())
        messages.success(request, _("The lead was saved."))
        return redirect("leads:detail", lead_id=lead.pk)
    return render(request, "leads/form.html", {"form": form, "lead": lead})


@tenant_member_required
@require_POST
def delete(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.for_tenant(request.tenant), pk=lead_id)
    services.delete_lead(lead=lead)
    messages.success(request, _("The lead was deleted."))
    return redirect("leads:index")
