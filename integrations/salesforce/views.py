"""Screens of the Salesforce integration (I1): the admin's settings, and "retry failed" on the campaign page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import mail_plan_required, role_required
from accounts.models import Role
from campaigns.models import Campaign
from integrations.salesforce import selectors, services
from integrations.salesforce.forms import SalesforceConnectionForm


def _settings_page(
    request: HttpRequest, *, form: SalesforceConnectionForm | None = None, test_result: dict | None = None
) -> HttpResponse:
    status = selectors.connection_status(request.tenant)
    if form is None:
        initial = {}
        if status is not None:
            connection = status.connection
            initial = {
                "instance_url": connection.instance_url,
                "auth_method": connection.auth_method,
                "client_id": connection.client_id,
                "username": connection.username,
            }
        form = SalesforceConnectionForm(
            initial=initial, saved_secrets=status.saved_secrets if status is not None else frozenset()
        )
    context = {"status": status, "form": form, "test_result": test_result}
    return render(request, "integrations/salesforce_settings.html", context)


@mail_plan_required
@role_required(Role.ADMIN)
def salesforce_settings(request: HttpRequest) -> HttpResponse:
    """GET: the connection and its form. POST: save it, or (action=test) try the input without saving."""
    if request.method != "POST":
        return _settings_page(request)
    status = selectors.connection_status(request.tenant)
    form = SalesforceConnectionForm(
        request.POST, saved_secrets=status.saved_secrets if status is not None else frozenset()
    )
    if not form.is_valid():
        return _settings_page(request, form=form)
    if request.POST.get("action") == "test":
        try:
            error = services.check_connection(request.tenant, **form.cleaned_data)
        except ValidationError as problems:
            form.add_error(None, problems)
            return _settings_page(request, form=form)
        return _settings_page(request, form=form, test_result={"ok": error is None, "error": error or ""})
    try:
        services.save_connection(request.tenant, request.user, **form.cleaned_data)
    except ValidationError as problems:
        form.add_error(None, problems)
        return _settings_page(request, form=form)
    messages.success(request, _("The Salesforce connection was saved."))
    return redirect("integrations:salesforce_settings")


@require_POST
@mail_plan_required
@role_required(Role.ADMIN)
def salesforce_disconnect(request: HttpRequest) -> HttpResponse:
    if services.disconnect(request.tenant):
        messages.success(request, _("Salesforce was disconnected and its saved credentials were deleted."))
    return redirect("integrations:salesforce_settings")


@require_POST
@mail_plan_required
def salesforce_retry(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Failed records of a campaign the user may see are tried again at once."""
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=campaign_id)
    count = services.retry_failed(campaign)
    if count:
        messages.success(
            request,
            _("Failed records to send to Salesforce again shortly: %(count)s.") % {"count": f"{count:,}"},
        )
    return redirect("campaigns:detail", campaign.pk)
