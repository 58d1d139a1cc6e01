"""REST API for leads (I2): thin views over the lead services and selectors."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import JSONParser

from leads import selectors, services
from leads.models import Lead, Tag
from leads.serializers import LeadQuerySerializer, LeadSerializer, TimelineEntrySerializer


class LeadViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LeadSerializer
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        tenant = self.request.user.tenant
        if self.action != "list":
            leads = Lead.objects.for_tenant(tenant)
        else:
            query = LeadQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            filters = dict(query.validated_data)
            leads = selectors.leads_for_index(tenant, search=filters.pop("search", ""), sort=filters.pop("sort"))
            tag = filters.pop("tag", "")
            if tag:
                leads = leads.filter(tags__name=tag)
            leads = leads.filter(**filters)
        return leads.with_unsubscribed().prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))

    @extend_schema(parameters=[LeadQuerySerializer])
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
