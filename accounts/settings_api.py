"""REST API for the tenant's mail settings (A4, A5, I2): GET and PATCH, admins of a mail-plan tenant only."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Tenant
from accounts.permissions import HasMailPlan, IsTenantAdmin


def _max_length(name: str) -> int:
    return Tenant._meta.get_field(name).max_length


class MailSettingsSerializer(serializers.Serializer):
    """Input is only parsed here; accounts.services.update_mail_settings checks every rule."""

    sender_domains = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="The domains From addresses may use, e.g. example.co.jp or 例え.jp (no subdomains implied). "
        "PATCH replaces the whole list.",
    )
    legal_sender_name = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length("legal_sender_name")
    )
    legal_postal_address = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length("legal_postal_address")
    )
    legal_contact = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=_max_length("legal_contact"),
        help_text="An email address or an http(s) URL for inquiries.",
    )
    send_rate_per_second = serializers.IntegerField(
        required=False, help_text=f"Mails per second, {services.SEND_RATE_MIN} to {services.SEND_RATE_MAX}."
    )


class MailSettingsView(APIView):
    permission_classes = [HasMailPlan, IsTenantAdmin]
    parser_classes = [JSONParser]
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(summary="The company's mail settings", responses={200: MailSettingsSerializer})
    def get(self, request):
        return Response(MailSettingsSerializer(selectors.mail_settings(request.user.tenant)).data)

    @extend_schema(
        summary="Change the mail settings",
        description="Only the given keys change; `sender_domains` replaces the whole list. "
        'Errors name the field and the bad value: 400 {"sender_domains": ["“exa mple.com” contains a space. …"]}.',
        request=MailSettingsSerializer,
        responses={
            200: MailSettingsSerializer,
            400: OpenApiResponse(description="Field errors, naming the bad value."),
        },
    )
    def patch(self, request):
        serializer = MailSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tenant = request.user.tenant
        try:
            services.update_mail_settings(tenant, **serializer.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(MailSettingsSerializer(selectors.mail_settings(tenant)).data)
