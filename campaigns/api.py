"""REST API for campaigns (C1–C14): thin views over the campaign services, same rules as the screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from accounts.permissions import HasMailPlan
from campaigns import selectors, services
from campaigns.models import Campaign
from campaigns.preview import preview_campaign
from campaigns.rules import NON_FIELD
from campaigns.serializers import (
    CampaignSerializer,
    CampaignStatsSerializer,
    PreviewSerializer,
    ScheduleSerializer,
    TestSendSerializer,
)

T = TypeVar("T")

LEAD_LIST_NOT_FOUND = OpenApiResponse(
    description="`lead_list` names no list of your company (A3), or no such campaign."
)
REFUSED = OpenApiResponse(
    description='The campaign cannot do this now: {"non_field_errors": [...]} or the fields that stop it '
    "(e.g. a missing unsubscribe tag, a From address outside the sender domains)."
)
ACTED_ON = {200: CampaignSerializer, 400: REFUSED}
TEST_MAIL_SENT = inline_serializer("TestMailSent", {"detail": serializers.CharField()})


def _carried_out(call: Callable[[], T]) -> T:
    """A service call whose refusal answers 400 with field errors (the campaign as a whole: non_field_errors)."""
    try:
        return call()
    except services.CampaignRefused as refused:
        errors = {
            ("non_field_errors" if field == NON_FIELD else field): problems
            for field, problems in refused.problems.items()
        }
        raise ValidationError(errors) from None


@extend_schema_view(
    list=extend_schema(summary="Campaigns", description="Reps see their own; managers and admins all of the tenant's."),
    create=extend_schema(
        summary="Create a campaign (saved as a draft, as given)",
        responses={201: CampaignSerializer, 404: LEAD_LIST_NOT_FOUND},
    ),
    retrieve=extend_schema(summary="One campaign"),
    partial_update=extend_schema(
        summary="Change a draft", responses={200: CampaignSerializer, 404: LEAD_LIST_NOT_FOUND}
    ),
    destroy=extend_schema(summary="Delete a draft or cancelled campaign", responses={204: None, 400: REFUSED}),
)
class CampaignViewSet(viewsets.ModelViewSet):
    serializer_class = CampaignSerializer
    permission_classes = [HasMailPlan]
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Campaign.objects.visible_to(self.request.user).select_related("owner", "lead_list")

    def get_object(self):
        campaign = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and campaign.owner_id != self.request.user.pk:
            raise PermissionDenied(_("Only the campaign's owner can change it."))
        return campaign

    def perform_create(self, serializer):
        user = self.request.user
        serializer.instance = _carried_out(
            lambda: services.create_campaign(user.tenant, user, **serializer.validated_data)
        )

    def perform_update(self, serializer):
        campaign = serializer.instance
        serializer.instance = _carried_out(lambda: services.update_campaign(campaign, **serializer.validated_data))

    def perform_destroy(self, instance):
        _carried_out(lambda: services.delete_campaign(instance))

    def _respond(self, campaign: Campaign) -> Response:
        return Response(CampaignSerializer(campaign, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="The mail for one real recipient, the counts and what stops sending", responses=PreviewSerializer
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        return Response(PreviewSerializer(preview_campaign(self.get_object())).data)

    @extend_schema(
        summary="Send a test mail now (marked as a test, counted nowhere)",
        request=TestSendSerializer,
        responses={202: TEST_MAIL_SENT},
    )
    @action(detail=True, methods=["post"], url_path="test-send")
    def test_send(self, request, pk=None):
        campaign = self.get_object()
        serializer = TestSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _carried_out(lambda: services.send_test_mail(campaign, **serializer.validated_data))
        return Response({"detail": _("The test mail was sent.")}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Send now", request=None, responses=ACTED_ON)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        campaign = self.get_object()
        return self._respond(_carried_out(lambda: services.request_send(campaign)))

    @extend_schema(
        summary="Schedule (at least 30 minutes from now) or reschedule",
        request=ScheduleSerializer,
        responses=ACTED_ON,
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        campaign = self.get_object()
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        when = serializer.validated_data["scheduled_at"]
        return self._respond(_carried_out(lambda: services.schedule_campaign(campaign, when)))

    @extend_schema(
        summary="Cancel: before it starts it becomes a draft; while sending it stops for good",
        request=None,
        responses=ACTED_ON,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        campaign = self.get_object()
        return self._respond(_carried_out(lambda: services.cancel_campaign(campaign)))

    @extend_schema(summary="Pause a sending campaign", request=None, responses=ACTED_ON)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        campaign = self.get_object()
        return self._respond(_carried_out(lambda: services.pause_sending(campaign)))

    @extend_schema(
        summary="Resume a paused campaign (what was sent is never sent again)",
        request=None,
        responses=ACTED_ON,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        campaign = self.get_object()
        return self._respond(_carried_out(lambda: services.resume_sending(campaign)))

    @extend_schema(
        summary="Results: sent, delivered, opens, clicks (people and machines apart), per link, over time",
        description=(
            "Unique recipients for opened and clicked; a draft or scheduled campaign answers zeros. "
            "Rates: delivered of sent; opened, clicked and unsubscribed of delivered."
        ),
        responses=CampaignStatsSerializer,
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        return Response(CampaignStatsSerializer(selectors.campaign_stats(self.get_object())).data)
