"""Serializers of the campaign API: the contract's fields, validated by the same rules as the composer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from campaigns.models import Campaign
from campaigns.services import EDITABLE_FIELDS
from leads.addresses import is_valid_email, normalize_email, sendable_email
from leads.models import LeadList


class TenantLeadListField(serializers.PrimaryKeyRelatedField):
    """Only the request's tenant's lists: an id that is not one of them answers 404, as any foreign id (A3)."""

    def get_queryset(self):
        return LeadList.objects.for_tenant(self.context["request"].user.tenant)

    def to_internal_value(self, data):
        # ASCII digits only: "①" and "²" pass str.isdigit() but int() refuses them
        is_id = isinstance(data, int | str) and str(data).isascii() and str(data).isdigit()
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

    def validate_email(self, value: str) -> str:
        """As the screen's test send: checked normalized (an address such as "İİ…@example.com" passes
        EmailField's case-insensitive check but no mail can be addressed to it) and sent in the mailable form."""
        if not is_valid_email(normalize_email(value)):
            raise serializers.ValidationError(_("Enter a valid email address."))
        return sendable_email(value)


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


class RatesSerializer(serializers.Serializer):
    """Shares as fractions (0.25 is 25 %); null where the denominator is 0."""

    delivered = serializers.FloatField(allow_null=True, help_text="delivered / sent")
    opened = serializers.FloatField(allow_null=True, help_text="opened / delivered (unique recipients, people)")
    clicked = serializers.FloatField(allow_null=True, help_text="clicked / delivered (unique recipients, people)")
    unsubscribed = serializers.FloatField(allow_null=True, help_text="unsubscribed / delivered")


class LinkStatsSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The link's place in the mail body, from 1.")
    url = serializers.CharField()
    clicks = serializers.IntegerField(help_text="Every click by a person.")
    unique_clicks = serializers.IntegerField(help_text="Recipients who clicked this link.")


class ActivityPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Start of the hour or day (Asia/Tokyo).")
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()


class CampaignStatsSerializer(serializers.Serializer):
    """A campaigns.selectors.CampaignStats as the contract's JSON (plus a few more figures)."""

    sent = serializers.IntegerField(help_text="Mails handed over to the provider (or SMTP server).")
    delivered = serializers.IntegerField(
        help_text="Reported delivered by the provider; with SMTP the server's acceptance counts (equals sent)."
    )
    opened = serializers.IntegerField(help_text="Recipients who opened (people only; a click counts as an open).")
    clicked = serializers.IntegerField(help_text="Recipients who clicked a link (people only).")
    unsubscribed = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Refused when handed over (send_failed) plus bounced or rejected.")
    excluded = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Leads left out when sending started, by reason: suppressed, info, invalid, duplicate.",
    )
    machine_opened = serializers.IntegerField(help_text="Messages opened by a machine (privacy proxy, scanner).")
    machine_clicked = serializers.IntegerField(help_text="Messages whose links a machine followed.")
    links = LinkStatsSerializer(many=True, help_text="The campaign's links in body order, clicked or not.")
    recipients = serializers.IntegerField()
    send_failed = serializers.IntegerField()
    bounced = serializers.IntegerField()
    complained = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Not sent: suppressed after the recipients were fixed, or cancelled.")
    unknown = serializers.IntegerField(help_text="A worker stopped while handing these over; never sent again.")
    in_flight = serializers.IntegerField(help_text="Still waiting or being sent.")
    final = serializers.BooleanField(help_text="True once the campaign has ended and its outcome is fixed.")
    rates = RatesSerializer()
    timeline_step = serializers.ChoiceField(choices=["hour", "day"])
    timeline = ActivityPointSerializer(many=True, help_text="Opens and clicks over time (people, first time).")
