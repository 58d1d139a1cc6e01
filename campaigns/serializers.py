"""Serializers of the campaign API: the contract's fields, validated by the same rules as the composer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from campaigns.models import Campaign
from campaigns.services import EDITABLE_FIELDS
from leads.models import LeadList


class TenantLeadListField(serializers.PrimaryKeyRelatedField):
    """Only the request's tenant's lists: an id that is not one of them answers 404, as any foreign id (A3)."""

    def get_queryset(self):
        return LeadList.objects.for_tenant(self.context["request"].user.tenant)

    def to_internal_value(self, data):
        is_id = isinstance(data, int | str) and str(data).isdigit()
        if is_id and not self.get_queryset().filter(pk=int(data)).exists():
            raise NotFound(_("lead_list: there is no list with the id %(id)s.") % {"id": data})
        return super().to_internal_value(data)


class CampaignSerializer(serializers.ModelSerializer):
    lead_list = TenantLeadListField(allow_null=True, required=False)
    owner = serializers.EmailField(source="owner.email", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", *EDITABLE_FIELDS, "status", "owner", "created_at", "updated_at"]
        read_only_fields = ["status", "scheduled_at", "created_at", "updated_at"]
        extra_kwargs = {"body_html": {"trim_whitespace": False}}


class ScheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(help_text="ISO 8601; at least 30 minutes from now.")


class TestSendSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RenderedMailSerializer(serializers.Serializer):
    subject = serializers.CharField()
    html = serializers.CharField()
    text = serializers.CharField()


class PreviewRecipientSerializer(serializers.Serializer):
    email = serializers.CharField()
    company_name = serializers.CharField()
    full_name = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    """A campaigns.preview.CampaignPreview as the contract's JSON."""

    mail = RenderedMailSerializer(allow_null=True)
    recipient = PreviewRecipientSerializer(source="lead", allow_null=True)
    leads = serializers.IntegerField(source="breakdown.leads")
    recipients = serializers.IntegerField(source="breakdown.recipients")
    excluded = serializers.DictField(source="breakdown.excluded", child=serializers.IntegerField())
    problems = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
