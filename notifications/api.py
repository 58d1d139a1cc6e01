"""`/api/v1/notifications/` (N1, I2): the signed-in user's notifications; mark one or all read."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from accounts.permissions import IsTenantMember
from notifications import selectors, services
from notifications.serializers import NotificationQuerySerializer, NotificationSerializer


@extend_schema_view(
    list=extend_schema(
        summary="My notifications",
        description="Newest first; `?unread=true` for unread only.",
        parameters=[NotificationQuerySerializer],
    ),
    retrieve=extend_schema(summary="One notification"),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    permission_classes = [IsTenantMember]
    parser_classes = [JSONParser]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        notifications = selectors.notifications_for(self.request.user)
        if self.action == "list":
            query = NotificationQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            if query.validated_data["unread"]:
                notifications = notifications.filter(read_at__isnull=True)
        return notifications

    @extend_schema(summary="Mark one read", request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        if not services.mark_read(request.user, int(pk)):
            raise NotFound
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        summary="Mark all read",
        request=None,
        responses={200: inline_serializer("MarkedRead", {"marked_read": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": services.mark_all_read(request.user)})
