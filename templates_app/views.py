"""Screens for saved mail templates (T1) and the JSON the composer applies (C2). Any role of a mail-plan tenant."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import mail_plan_required
from templates_app import selectors, services
from templates_app.forms import EmailTemplateForm
from templates_app.models import EmailTemplate

TEMPLATES_PER_PAGE = 50


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


def _tenant_template(request: HttpRequest, template_id: int) -> EmailTemplate:
    return get_object_or_404(EmailTemplate.objects.for_tenant(request.tenant), pk=template_id)


@mail_plan_required
def index(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    templates = selectors.templates_for_index(request.tenant, search=search)
    page = Paginator(templates, TEMPLATES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "search": search, "query_without_page": _query_without_page(request)}
    return render(request, "templates_app/index.html", context)


@mail_plan_required
def create(request: HttpRequest) -> HttpResponse:
    form = EmailTemplateForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_template(request.tenant, request.user, **form.template_fields())
        except ValidationError as error:  # e.g. the same name saved by someone else meanwhile
            form.add_error(None, error)
        else:
            messages.success(request, _("The template was saved."))
            return redirect("templates_app:index")
    return render(request, "templates_app/form.html", {"form": form})


@mail_plan_required
def edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _tenant_template(request, template_id)
    form = EmailTemplateForm(request.POST or None, instance=template, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_template(template, **form.template_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The template was saved."))
            return redirect("templates_app:index")
    return render(request, "templates_app/form.html", {"form": form, "email_template": template})


@mail_plan_required
@require_POST
def delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _tenant_template(request, template_id)
    services.delete_template(template)
    messages.success(request, _("The template was deleted."))
    return redirect("templates_app:index")


@mail_plan_required
@require_GET
def content(request: HttpRequest, template_id: int) -> JsonResponse:
    """The subject and body the composer copies into a campaign ("apply a template", C2)."""
    template = _tenant_template(request, template_id)
    return JsonResponse({"subject": template.subject, "body_html": template.body_html})
