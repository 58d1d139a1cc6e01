from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import tenant_member_required
from leads.models import LeadList


@tenant_member_required
def index(request: HttpRequest) -> HttpResponse:
    lists = LeadList.objects.for_tenant(request.tenant)
    return render(request, "leads/list_index.html", {"lists": lists})
