from __future__ import annotations

from rest_framework import serializers

from notifications.models import Notification


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="true: unread notifications only.")


class NotificationSerializer(serializers.ModelSerializer):
    lead = serializers.IntegerField(source="lead_id", allow_null=True, read_only=True)
    lead_name = serializers.SerializerMethodField()
    company_name = serializers.SerializerMethodField()
    email = serializers.CharField(source="message.email", read_only=True)
    campaign = serializers.IntegerField(source="campaign_id", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "created_at",
            "read",
            "read_at",
            "lead",
            "lead_name",
            "company_name",
            "email",
            "campaign",
            "campaign_name",
            "url",
        ]
        read_only_fields = fields

    def get_lead_name(self, notification: Notification) -> str:
        lead = notification.lead
        return f"{lead.last_name} {lead.first_name}".strip() if lead else ""

    def get_company_name(self, notification: Notification) -> str:
        return notification.lead.company_name if notification.lead else ""

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None
