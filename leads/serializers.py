from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from leads.addresses import is_valid_email, normalize_email
from leads.models import Lead
from leads.selectors import DEFAULT_LEAD_SORT, LEAD_SORTS, TIMELINE_KINDS, TimelineEntry

SEARCH_MAX_LENGTH = 200


class TenantUserField(serializers.PrimaryKeyRelatedField):
    """A user id, looked up only among the request's tenant's users."""

    def get_queryset(self):
        return User.objects.for_tenant(self.context["request"].user.tenant)


class TagNamesField(serializers.ListField):
    """Tags as a list of names; read from the prefetched tag relation."""

    child = serializers.CharField(max_length=50, allow_blank=False)

    def to_representation(self, tags) -> list[str]:
        return sorted(tag.name for tag in tags.all())


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class LeadEmailField(serializers.CharField):
    """The lead's address as given (checked by validate_email; stored normalized beside it)."""


class LeadSerializer(serializers.ModelSerializer):
    email = LeadEmailField(max_length=254)
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


def _exact(help_text: str) -> serializers.CharField:
    """A query parameter compared as given (no trimming); NUL characters are refused as in every CharField."""
    return serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, help_text=help_text)


class LeadQuerySerializer(serializers.Serializer):
    """The query parameters of GET /api/v1/leads/: parsed here, so a bad one answers 400 and never reaches SQL."""

    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"Words matched against name, company and email (the first {SEARCH_MAX_LENGTH} characters).",
    )
    sort = serializers.ChoiceField(choices=list(LEAD_SORTS), required=False, default=DEFAULT_LEAD_SORT)
    tag = _exact("Leads carrying this tag.")
    industry = _exact("Exact value.")
    prefecture = _exact("Exact value.")
    status = _exact("Exact value: new, contacted, qualified, won or lost.")
    owner = serializers.CharField(
        required=False, allow_blank=True, help_text="The owner's user id; empty for leads without an owner."
    )
    company_name = _exact("Exact value.")
    department = _exact("Exact value.")
    title = _exact("Exact value.")

    def validate_search(self, value: str) -> str:
        return value[:SEARCH_MAX_LENGTH]

    def validate_owner(self, value: str) -> int | None:
        if value == "":
            return None
        if not value.isascii() or not value.isdigit():
            raise serializers.ValidationError(_("Give the owner as a user id (a number)."))
        return int(value)


class TimelineCampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TimelineEntrySerializer(serializers.Serializer):
    """One entry of a lead's history (L4), newest first."""

    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(
        choices=TIMELINE_KINDS,
        help_text=(
            "created, unsubscribed (on the suppression list) or, for campaign mail: mail-sent, mail-failed "
            "(send failure, bounce or rejection), mail-unknown, mail-delivered, mail-opened, mail-clicked, "
            "mail-complained, mail-unsubscribed. Machine opens and clicks are not included."
        ),
    )
    label = serializers.CharField(help_text="The kind in the user's language.")
    detail = serializers.CharField(help_text="The reason of a failure or the suppression; empty otherwise.")
    url = serializers.SerializerMethodField(help_text="The link a click followed; null for other kinds.")
    campaign = serializers.SerializerMethodField(help_text="The campaign of a mail entry; null for other kinds.")

    def get_url(self, entry: TimelineEntry) -> str | None:
        return entry.url or None

    @extend_schema_field(TimelineCampaignSerializer(allow_null=True))
    def get_campaign(self, entry: TimelineEntry) -> dict | None:
        if entry.campaign_id is None:
            return None
        return {"id": entry.campaign_id, "name": entry.campaign_name}
