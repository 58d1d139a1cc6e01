"""REST API for lead lists (L3, I2): thin views over the list services and selectors."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from leads import selectors, services
from leads.filters import FilterError
from leads.list_serializers import (
    FilterErrorSerializer,
    LeadListDetailSerializer,
    LeadListPreviewResultSerializer,
    LeadListPreviewSerializer,
    LeadListSerializer,
)
from leads.models import LeadList, Tag
from leads.serializers import LeadSerializer


class InvalidFilter(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The filter cannot be used.")
    default_code = "invalid_filter"


INVALID_FILTER = OpenApiResponse(FilterErrorSerializer, description='The filter cannot be used; code "invalid_filter".')


@extend_schema_view(
    list=extend_schema(summary="Lead lists", description="The tenant's lists, most recently updated first."),
    create=extend_schema(
        summary="Create a lead list",
        request=LeadListSerializer,
        responses={201: LeadListDetailSerializer},
        description='A bad filter answers 400 {"filter": ["<what is wrong>"]}.',
    ),
    retrieve=extend_schema(summary="One lead list, with the number of leads it matches now"),
    partial_update=extend_schema(
        summary="Rename a list or change its filter",
        request=LeadListSerializer,
        responses={200: LeadListDetailSerializer},
    ),
    destroy=extend_schema(summary="Delete a list (its leads are kept)"),
)
class LeadListViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.lead_lists_for_index(self.request.user.tenant)

    def get_serializer_class(self):
        if self.action == "list":
            return LeadListSerializer
        if self.action == "preview":
            return LeadListPreviewSerializer
        if self.action == "leads":
            return LeadSerializer
        return LeadListDetailSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_lead_list(
            tenant=self.request.user.tenant, created_by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_lead_list(lead_list=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_lead_list(lead_list=instance)

    @extend_schema(
        summary="The leads the list's filter matches now",
        responses={200: LeadSerializer(many=True), 400: INVALID_FILTER},
    )
    @action(detail=True, methods=["get"])
    def leads(self, request, pk=None):
        lead_list: LeadList = self.get_object()
        try:
            leads = selectors.resolve_list(lead_list)
        except FilterError as error:
            raise InvalidFilter(error.message) from None
        leads = leads.with_unsubscribed().prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))
        page = self.paginate_queryset(leads)
        return self.get_paginated_response(LeadSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Count the leads a filter matches, without saving it",
        request=LeadListPreviewSerializer,
        responses={200: LeadListPreviewResultSerializer, 400: INVALID_FILTER},
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        if "filter" not in body:
            raise InvalidFilter(_('Send the filter to count as {"filter": {"all": [...]}}.'))
        try:
            count = selectors.leads_matching(request.user.tenant, body["filter"]).count()
        except FilterError as error:
            raise InvalidFilter(error.message) from None
        return Response({"count": count})
