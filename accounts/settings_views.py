"""The mail settings screen (A4 sender domains, A5 legal sender information): admins of a mail-plan tenant."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.access import mail_plan_required, role_required
from accounts.models import Role, SenderDomain
from accounts.settings_forms import LegalSenderForm, SenderDomainForm


def _settings_page(
    request: HttpRequest, *, domain_form: SenderDomainForm | None = None, legal_form: LegalSenderForm | None = None
) -> HttpResponse:
    tenant = request.tenant
    if legal_form is None:
        current = selectors.mail_settings(tenant)
        current.pop("sender_domains")
        legal_form = LegalSenderForm(initial=current)
    context = {
        "sender_domains": selectors.sender_domains_for_settings(tenant),
        "domain_form": domain_form or SenderDomainForm(),
        "legal_form": legal_form,
        "missing_legal_info": selectors.missing_legal_info(tenant),
    }
    return render(request, "accounts/mail_settings.html", context)


@mail_plan_required
@role_required(Role.ADMIN)
def mail_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = LegalSenderForm(request.POST)
    if form.is_valid():
        try:
            services.update_mail_settings(request.tenant, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The sender information was saved."))
            return redirect(reverse("settings:mail") + "#legal-sender")
    return _settings_page(request, legal_form=form)


@mail_plan_required
@role_required(Role.ADMIN)
@require_POST
def mail_domain_add(request: HttpRequest) -> HttpResponse:
    form = SenderDomainForm(request.POST)
    if form.is_valid():
        try:
            sender_domain = services.add_sender_domain(request.tenant, form.cleaned_data["domain"])
        except ValidationError as error:
            form.add_error("domain", error)
        else:
            messages.success(request, _("The domain %(domain)s was added.") % {"domain": sender_domain.domain})
            return redirect(reverse("settings:mail") + "#sender-domains")
    return _settings_page(request, domain_form=form)


@mail_plan_required
@role_required(Role.ADMIN)
@require_POST
def mail_domain_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    sender_domain = get_object_or_404(SenderDomain.objects.for_tenant(request.tenant), pk=domain_id)
    services.remove_sender_domain(sender_domain)
    messages.success(request, _("The domain %(domain)s was removed.") % {"domain": sender_domain.domain})
    return redirect(reverse("settings:mail") + "#sender-domains")
