"""Serializers of the template API (T1, I2)."""

from __future__ import annotations

from rest_framework import serializers

from templates_app import services
from templates_app.models import EmailTemplate


class TemplateQuerySerializer(serializers.Serializer):
    """GET /api/v1/templates/?search=: parsed here, so a bad value (a NUL character) answers 400."""

    search = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Words that must all occur in the name."
    )

    def validate_search(self, value: str) -> str:
        return value[:200]


class EmailTemplateSerializer(serializers.ModelSerializer):
    """Parses input; templates_app.services.template_problems checks every rule, as on the screens."""

    class Meta:
        model = EmailTemplate
        fields = ["id", "name", "subject", "body_html", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "name": {"help_text": "Unique within the company."},
            "subject": {"help_text": "One line; merge tags such as {{CompanyName}} may be used."},
            "body_html": {
                "trim_whitespace": False,
                "help_text": "HTML, stored reduced to p, br, strong/b, u, s, em/i and a[href] (http, https, mailto). "
                "Merge tags as in the subject; the unsubscribe tag is optional in a template.",
            },
        }

    def validate(self, attrs):
        instance: EmailTemplate | None = self.instance
        values = {
            field: attrs[field] if field in attrs else (getattr(instance, field) if instance else "")
            for field in services.TEMPLATE_FIELDS
        }
        problems = services.template_problems(self.context["request"].user.tenant, **values, template=instance)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs
