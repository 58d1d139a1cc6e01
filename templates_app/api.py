"""REST API for saved mail templates (T1, I2): thin views over the template services and selectors."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.parsers import JSONParser

from accounts.permissions import HasMailPlan, IsTenantMember
from templates_app import selectors, services
from templates_app.serializers import EmailTemplateSerializer, TemplateQuerySerializer

FIELD_ERRORS = 'Errors name the field: 400 {"body_html": ["Unknown merge tag {{Foo}}. …"]}.'


@extend_schema_view(
    list=extend_schema(
        summary="Templates",
        description="The company's templates by name.",
        parameters=[TemplateQuerySerializer],
    ),
    create=extend_schema(summary="Create a template", description=FIELD_ERRORS),
    retrieve=extend_schema(summary="One template"),
    partial_update=extend_schema(summary="Change a template", description=FIELD_ERRORS),
    destroy=extend_schema(summary="Delete a template (campaigns that applied it keep their copy)"),
)
class EmailTemplateViewSet(viewsets.ModelViewSet):
    serializer_class = EmailTemplateSerializer
    permission_classes = [IsTenantMember, HasMailPlan]
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        search = ""
        if self.action == "list":
            query = TemplateQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            search = query.validated_data["search"]
        return selectors.templates_for_index(self.request.user.tenant, search=search)

    def perform_create(self, serializer):
        try:
            serializer.instance = services.create_template(
                self.request.user.tenant, self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as error:  # e.g. the same name saved by someone else meanwhile
            raise serializers.ValidationError(error.message_dict) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = services.update_template(serializer.instance, **serializer.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None

    def perform_destroy(self, instance):
        services.delete_template(instance)
