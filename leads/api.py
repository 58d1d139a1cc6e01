"""REST API for leads (I2): thin views over the lead services and selectors."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404

from leads import selectors, services
from leads.models import Lead, Tag
from leads.serializers import LeadSerializer, TimelineEntrySerializer

LEAD_FIELD_FILTERS = ("industry", "prefecture", "status", "owner", "company_name", "department", "title")


class LeadViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LeadSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        tenant = self.request.user.tenant
        leads = selectors.leads_for_index(
            tenant,
            search=self.request.query_params.get("search", "")[:200],
            sort=self.request.query_params.get("sort", selectors.DEFAULT_LEAD_SORT),
        )
        for name in LEAD_FIELD_FILTERS:
            value = self.request.query_params.get(name)
            if value is not None:
                leads = leads.filter(**{name: self.owner_id(value) if name == "owner" else value})
        tag = self.request.query_params.get("tag")
        if tag:
            leads = leads.filter(tags__name=tag)
        return leads.with_unsubscribed().prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))

    @staticmethod
    def owner_id(value: str) -> int | None:
        if value == "":
            return None
        if not value.isdigit():
            raise ValidationError({"owner": [_("Give the owner as a user id (a number).")]})
        return int(value)

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Words matched against name, company and email."),
            OpenApiParameter("sort", str, enum=list(selectors.LEAD_SORTS)),
            OpenApiParameter("tag", str),
            *[OpenApiParameter(name, str) for name in LEAD_FIELD_FILTERS],
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.create_lead(tenant=self.request.user.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_lead(lead=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_lead(lead=instance)

    @extend_schema(
        summary="The lead's history timeline (L4)",
        description=(
            "Newest first, at most the newest 200 entries, paginated: the lead's creation, its suppression, "
            "and per campaign the mail sent, delivered, opened, clicked (with the URL), failed (with the "
            "reason) and unsubscribed. Opens and clicks by machines (privacy proxies, scanners) are left out."
        ),
        responses={200: TimelineEntrySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        lead = get_object_or_404(Lead.objects.for_tenant(request.user.tenant), pk=pk)
        self.check_object_permissions(request, lead)
        page = self.paginate_queryset(selectors.lead_timeline(lead))
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)
