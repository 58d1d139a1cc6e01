"""The campaign screens: index with results (D1), composer, confirm (内容確認), test send, schedule control
(C1–C14), and the dashboard with its results CSV (D2)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.access import mail_plan_required
from accounts.selectors import missing_legal_info
from campaigns import selectors, services
from campaigns.forms import CampaignForm, ScheduleForm, TestSendForm
from campaigns.models import Campaign, CampaignStatus, MessageStatus
from campaigns.preview import preview_campaign
from campaigns.results_csv import results_csv_lines
from campaigns.rules import Problems, scheduling_problems, sending_problems
from integrations.salesforce.selectors import salesforce_summary
from leads.csv_export import csv_download
from leads.models import LeadList

CAMPAIGNS_PER_PAGE = 50


def _visible_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    campaigns = Campaign.objects.visible_to(request.user).select_related("tenant", "owner", "lead_list")
    return get_object_or_404(campaigns, pk=campaign_id)


def owner_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Screens that change a campaign: found among those the user sees (else 404), and only its owner (else 403)."""

    @mail_plan_required
    @wraps(view)
    def wrapped(request: HttpRequest, campaign_id: int) -> HttpResponse:
        campaign = _visible_campaign(request, campaign_id)
        if campaign.owner_id != request.user.pk:
            return _forbidden(request)
        return view(request, campaign)

    return wrapped


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/forbidden.html", status=403)


def _add_problems(form, problems: Problems) -> None:
    for field, field_messages in problems.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


@mail_plan_required
def index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in CampaignStatus.values else ""
    page = Paginator(selectors.campaigns_for_index(request.user, status=status), CAMPAIGNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    campaigns = list(page.object_list)
    figures = selectors.campaign_figures(campaigns)
    context = {
        "page_obj": page,
        "rows": [(campaign, figures.get(campaign.pk)) for campaign in campaigns],
        "status": status,
        "statuses": CampaignStatus.choices,
        "query_without_page": f"status={status}&" if status else "",
    }
    return render(request, "campaigns/index.html", context)


@mail_plan_required
def create(request: HttpRequest) -> HttpResponse:
    return _composer(request, services.new_campaign(request.tenant, request.user))


@owner_only
def edit(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if not campaign.is_editable:
        messages.info(request, _("Only a draft can be edited. Cancel the schedule to edit this campaign."))
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    return _composer(request, campaign)


def _with_template(data: QueryDict, form: CampaignForm) -> QueryDict | None:
    """The posted data with the chosen template's subject and body copied in (C2), or None."""
    template = form.cleaned_data.get("template") if form.is_valid() else None
    if template is None:
        return None
    data = data.copy()
    data["subject"], data["body_html"] = template.subject, template.body_html
    data["template"] = ""
    return data


def _composer(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    action = request.POST.get("action", "save_draft")
    form = CampaignForm(request.POST or None, instance=campaign, tenant=request.tenant)
    test_form = TestSendForm(request.POST if action == "test_send" else None)
    context = {"form": form, "test_form": test_form, "campaign": campaign, "open_test_dialog": False}
    if request.method == "POST" and action == "apply_template":
        applied = _with_template(request.POST, form)
        if applied is None:
            form.add_error("template", _("Choose the template to apply."))
        else:
            form = CampaignForm(applied, instance=campaign, tenant=request.tenant)
            messages.info(request, _("The template was applied. Save the draft to keep it."))
        context["form"] = form
    elif request.method == "POST" and form.is_valid():
        response = _save_and_continue(request, form, test_form, action, context)
        if response is not None:
            return response
    chosen_list = form.cleaned_data.get("lead_list") if form.is_bound and form.is_valid() else campaign.lead_list
    context["breakdown"] = selectors.recipient_breakdown(chosen_list)
    context["chosen_list"] = chosen_list
    context["legal_info_missing"] = bool(missing_legal_info(request.tenant))
    invalid = form.errors or (test_form.is_bound and test_form.errors)
    return render(request, "campaigns/composer.html", context, status=422 if invalid else 200)


def _save_and_continue(
    request, form: CampaignForm, test_form: TestSendForm, action: str, context
) -> HttpResponse | None:
    campaign = form.instance
    try:
        if campaign.pk:
            campaign = services.update_campaign(campaign, **form.campaign_fields())
        else:
            campaign = services.create_campaign(request.tenant, request.user, **form.campaign_fields())
    except services.CampaignRefused as refused:
        _add_problems(form, refused.problems)
        return None
    context["campaign"] = campaign
    if action == "confirm":
        if form.wants_schedule():
            problems = scheduling_problems(campaign, campaign.scheduled_at)
        else:
            problems = sending_problems(campaign)
        if not problems:
            return redirect("campaigns:confirm", campaign_id=campaign.pk)
        _add_problems(form, problems)
        messages.warning(request, _("The draft was saved. Correct the items below before sending."))
        return None
    if action == "test_send":
        context["open_test_dialog"] = True
        if not test_form.is_valid():
            return None
        try:
            services.send_test_mail(campaign, **test_form.cleaned_data)
        except services.CampaignRefused as refused:
            _add_problems(form, refused.problems)
            context["open_test_dialog"] = False
            return None
        messages.success(request, _("A test mail was sent to %(email)s.") % {"email": test_form.cleaned_data["email"]})
        return redirect("campaigns:edit", campaign_id=campaign.pk)
    messages.success(request, _("The draft was saved."))
    return redirect("campaigns:edit", campaign_id=campaign.pk)


@mail_plan_required
@require_GET
def recipient_count(request: HttpRequest) -> HttpResponse:
    """The live count after exclusions for the list chosen in the composer (htmx)."""
    lead_list_id = request.GET.get("lead_list", "")
    lead_list = None
    if lead_list_id.isascii() and lead_list_id.isdigit():  # "①".isdigit() is True, but int() refuses it
        lead_list = get_object_or_404(LeadList.objects.for_tenant(request.tenant), pk=int(lead_list_id))
    breakdown = selectors.recipient_breakdown(lead_list)
    return render(request, "campaigns/recipient_count.html", {"breakdown": breakdown, "lead_list": lead_list})


MESSAGES_PER_PAGE = 50


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are (a finished campaign's stored outcome): no COUNT(*)."""

    def __init__(self, object_list, per_page: int, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _recipients_paginator(campaign: Campaign, status: str) -> Paginator:
    messages_shown = selectors.campaign_messages(campaign, status=status)
    outcome = campaign.outcome_counts
    if not outcome:
        return Paginator(messages_shown, MESSAGES_PER_PAGE)
    count = outcome.get(status, 0) if status else sum(outcome.values())
    return _CountedPaginator(messages_shown, MESSAGES_PER_PAGE, count=count)


def _chart_data(stats: selectors.CampaignStats) -> dict:
    """What static/js/campaign-chart.js draws (passed with json_script): labels in Japan time."""
    label_format = "%m/%d %H:00" if stats.timeline_step == "hour" else "%Y/%m/%d"
    return {
        "labels": [point.start.strftime(label_format) for point in stats.timeline],
        "datasets": [
            {"label": _("Opens"), "data": [point.opened for point in stats.timeline]},
            {"label": _("Clicks"), "data": [point.clicked for point in stats.timeline]},
        ],
        "step": stats.timeline_step,
    }


@mail_plan_required
def detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The campaign page; once mail has gone out, its dashboard (D2)."""
    campaign = _visible_campaign(request, campaign_id)
    status = request.GET.get("status", "")
    status = status if status in MessageStatus.values else ""
    before_sending = campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
    stats = selectors.campaign_stats(campaign) if campaign.status in selectors.RESULT_STATUSES else None
    context = {
        "campaign": campaign,
        # the list as it is now only matters before sending; afterwards the campaign keeps its own figures
        "breakdown": selectors.recipient_breakdown(campaign.lead_list) if before_sending else None,
        "progress": selectors.campaign_progress(campaign, stats),
        "stats": stats,
        "salesforce": salesforce_summary(campaign),  # None unless the campaign records to Salesforce (C11)
        "chart_data": _chart_data(stats) if stats and stats.timeline else None,
        "can_change": campaign.owner_id == request.user.pk,
        "schedule_form": ScheduleForm(initial={"scheduled_at": campaign.scheduled_at}),
        "page_obj": _recipients_paginator(campaign, status).get_page(request.GET.get("page")),
        "message_status": status,
        "message_statuses": MessageStatus.choices,
        "query_without_page": f"status={status}&" if status else "",
    }
    return render(request, "campaigns/detail.html", context)


@mail_plan_required
@require_GET
def results_csv(request: HttpRequest, campaign_id: int) -> StreamingHttpResponse:
    """CSVダウンロード: every recipient's outcome (D2), streamed; times in Japan time."""
    campaign = _visible_campaign(request, campaign_id)
    filename = _("%(name)s results.csv") % {"name": campaign.name}
    return csv_download(results_csv_lines(selectors.recipient_outcomes(campaign)), filename)


@mail_plan_required
@require_GET
def progress(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The live progress block (htmx polls it while the campaign sends); a new state reloads the page,
    so its buttons (pause, resume, cancel) and the recipients table follow."""
    campaign = _visible_campaign(request, campaign_id)
    if request.GET.get("shown", campaign.status) != campaign.status:
        return HttpResponseClientRefresh()
    context = {"campaign": campaign, "progress": selectors.sending_progress(campaign)}
    return render(request, "campaigns/progress.html", context)


@owner_only
@require_POST
def pause(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    _carry_out(request, lambda: services.pause_sending(campaign), _("Sending is paused."))
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@owner_only
@require_POST
def resume(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    _carry_out(request, lambda: services.resume_sending(campaign), _("Sending continues."))
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@mail_plan_required
def confirm(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _visible_campaign(request, campaign_id)
    can_change = campaign.owner_id == request.user.pk
    schedule_form = ScheduleForm(initial={"scheduled_at": campaign.scheduled_at})
    if request.method == "POST":
        if not can_change:
            return _forbidden(request)
        response, schedule_form = _confirm_action(request, campaign)
        if response is not None:
            return response
    context = {
        "campaign": campaign,
        "preview": preview_campaign(campaign),
        "can_change": can_change,
        "schedule_form": schedule_form,
        "test_form": TestSendForm(),
    }
    return render(request, "campaigns/confirm.html", context, status=422 if schedule_form.errors else 200)


def _confirm_action(request: HttpRequest, campaign: Campaign) -> tuple[HttpResponse | None, ScheduleForm]:
    """送信 or 配信予約 from the confirm screen; the services re-check every rule."""
    if request.POST.get("action") == "schedule":
        schedule_form = ScheduleForm(request.POST)
        if not schedule_form.is_valid():
            return None, schedule_form
        try:
            services.schedule_campaign(campaign, schedule_form.cleaned_data["scheduled_at"])
        except services.CampaignRefused as refused:
            _add_problems(schedule_form, refused.problems)
            return None, schedule_form
        messages.success(request, _("The campaign is scheduled."))
        return redirect("campaigns:detail", campaign_id=campaign.pk), schedule_form
    requested = _carry_out(
        request,
        lambda: services.request_send(campaign),
        _("Sending was requested. The campaign starts as soon as a sending worker picks it up."),
    )
    return redirect("campaigns:detail" if requested else "campaigns:confirm", campaign_id=campaign.pk), ScheduleForm()


def _carry_out(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run one service call; its refusal becomes error messages on the next page, its success one message."""
    try:
        action()
    except services.CampaignRefused as refused:
        for field_messages in refused.problems.values():
            for message in field_messages:
                messages.error(request, message)
        return False
    messages.success(request, success)
    return True


@owner_only
@require_POST
def test_send(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """テスト送信 from the confirm screen (the composer posts its own form instead)."""
    test_form = TestSendForm(request.POST)
    if test_form.is_valid():
        sent = _("A test mail was sent to %(email)s.") % {"email": test_form.cleaned_data["email"]}
        _carry_out(request, lambda: services.send_test_mail(campaign, **test_form.cleaned_data), sent)
    else:
        for field_messages in test_form.errors.values():
            for message in field_messages:
                messages.error(request, message)
    return redirect("campaigns:confirm", campaign_id=campaign.pk)


@owner_only
@require_POST
def cancel(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    was_sending = campaign.status in (CampaignStatus.SENDING, CampaignStatus.PAUSED)
    cancelled = (
        _("Sending was cancelled. Mail not yet sent will not be sent.")
        if was_sending
        else _("The schedule was cancelled. The campaign is a draft again.")
    )
    _carry_out(request, lambda: services.cancel_campaign(campaign), cancelled)
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@owner_only
@require_POST
def delete(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if _carry_out(request, lambda: services.delete_campaign(campaign), _("The campaign was deleted.")):
        return redirect("campaigns:index")
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@require_GET
def test_unsubscribe_notice(request: HttpRequest) -> HttpResponse:
    """Where a test mail's unsubscribe link leads: nothing is recorded for a test."""
    return render(request, "campaigns/test_unsubscribe.html")
