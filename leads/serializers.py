from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from leads.addresses import is_valid_email, normalize_email
from leads.models import Lead


class TenantUserField(serializers.PrimaryKeyRelatedField):
    """A user id, looked up only among the request's tenant's users."""

    def get_queryset(self):
        return User.objects.for_tenant(self.context["request"].user.tenant)


class TagNamesField(serializers.ListField):
    """Tags as a list of names; read from the prefetched tag relation."""

    child = serializers.CharField(max_length=50, allow_blank=False)

    def to_representation(self, tags) -> list[str]:
        return sorted(tag.name for tag in tags.all())


class LeadSerializer(serializers.ModelSerializer):
    owner = TenantUserField(required=False, allow_null=True)
    tags = TagNamesField(required=False, max_length=100)
    unsubscribed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "company_name",
            "last_name",
            "first_name",
            "email",
            "phone",
            "department",
            "title",
            "industry",
            "prefecture",
            "employees",
            "website",
            "status",
            "owner",
            "tags",
            "unsubscribed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_email(self, value: str) -> str:
        value = value.strip()
        if not is_valid_email(normalize_email(value)):
            raise serializers.ValidationError(_("Enter a valid email address."))
        return value

    def to_representation(self, lead: Lead) -> dict:
        data = super().to_representation(lead)
        data["unsubscribed"] = bool(getattr(lead, "unsubscribed", False))
        return data
