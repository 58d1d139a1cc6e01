"""Serializers of the lead list API (L3, I2)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads import selectors
from leads.filters import ALL_OPS, ANY_CAMPAIGN, FIELDS, MAIL_EVENTS, MAX_CONDITIONS, FilterError, compile_filter
from leads.models import LeadList

CONDITION_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "description": "A lead field condition; which ops a field takes and the value's type depend on the field.",
            "properties": {
                "field": {"type": "string", "enum": list(FIELDS)},
                "op": {"type": "string", "enum": sorted(ALL_OPS)},
                "value": {"description": "A text, number, date text or true/false; a list for in and between."},
            },
            "required": ["field", "op"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "description": "A mail activity condition.",
            "properties": {
                "mail": {
                    "type": "object",
                    "properties": {
                        "campaign": {"oneOf": [{"type": "integer"}, {"type": "string", "enum": [ANY_CAMPAIGN]}]},
                        "event": {"type": "string", "enum": list(MAIL_EVENTS)},
                    },
                    "required": ["campaign", "event"],
                    "additionalProperties": False,
                }
            },
            "required": ["mail"],
            "additionalProperties": False,
        },
    ]
}
FILTER_SCHEMA = {
    "type": "object",
    "description": (
        'The filter language: {"all": [{"field", "op", "value"}, ...]}, conditions AND-ed. '
        "Fields: company_name, last_name, first_name, email, phone, department, title, industry, prefecture, "
        'website (text); employees (number); created_at, updated_at ("YYYY-MM-DD" or ISO 8601, Asia/Tokyo); '
        'status; owner (user ids); tags (names); unsubscribed (op "is", true/false). '
        "Ops: eq, ne, contains, startswith, in, empty, not_empty, between, gte, lte, before, after, is. "
        'Mail activity: {"mail": {"campaign": <campaign id> | "any", "event": "delivered" | "opened" | '
        '"clicked" | "failed" | "unsubscribed" | "not_opened"}} (human opens and clicks only; "failed" '
        'includes bounces; "not_opened": sent, not bounced, not opened; with "any": sent at least one '
        "campaign mail and opened none)."
    ),
    "properties": {"all": {"type": "array", "maxItems": MAX_CONDITIONS, "items": CONDITION_SCHEMA}},
    "required": ["all"],
    "additionalProperties": False,
    "example": {
        "all": [
            {"field": "industry", "op": "in", "value": ["IT", "製造"]},
            {"field": "employees", "op": "between", "value": [50, 1000]},
            {"field": "unsubscribed", "op": "is", "value": False},
            {"mail": {"campaign": "any", "event": "opened"}},
        ]
    },
}


@extend_schema_field(FILTER_SCHEMA)
class FilterField(serializers.JSONField):
    """A filter, validated by the compiler against the request's tenant (owner ids, shape, values)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            compile_filter(value, self.context["request"].user.tenant)
        except FilterError as error:
            raise serializers.ValidationError(error.message) from None
        return value


class LeadListSerializer(serializers.ModelSerializer):
    filter = FilterField()

    class Meta:
        model = LeadList
        fields = ["id", "name", "filter", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]


class LeadListDetailSerializer(LeadListSerializer):
    """One list with the number of leads its filter matches now (null with filter_error if it became invalid)."""

    count = serializers.SerializerMethodField()
    filter_error = serializers.SerializerMethodField()

    class Meta(LeadListSerializer.Meta):
        fields = [*LeadListSerializer.Meta.fields, "count", "filter_error"]

    def summary(self, lead_list: LeadList) -> selectors.LeadListSummary:
        cache = self.context.setdefault("summaries", {})
        if lead_list.pk not in cache:
            cache[lead_list.pk] = selectors.summarize_list(lead_list)
        return cache[lead_list.pk]

    def get_count(self, lead_list: LeadList) -> int | None:
        return self.summary(lead_list).count

    def get_filter_error(self, lead_list: LeadList) -> str | None:
        return self.summary(lead_list).error or None


class LeadListPreviewSerializer(serializers.Serializer):
    """For the schema: the view itself answers a bad filter with {"detail", "code": "invalid_filter"}."""

    filter = FilterField()

    class Meta:
        ref_name = "LeadListPreview"  # "LeadListPreviewRequest" in the schema (COMPONENT_SPLIT_REQUEST)


class LeadListPreviewResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class FilterErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
