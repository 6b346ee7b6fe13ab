"""An ``external_api`` viewset written as La Suite's Drive writes its own (needs django-lasuite):
the enabled actions come from an ``EXTERNAL_API`` setting through ``resource_server_actions``,
attributes are added per calling audience (Drive's ``EXTERNAL_API_AUD_ITEM_ATTRIBUTES``), and the
permission is ``ResourceServerClientPermission`` swapped for ``ExternalAPIPermission``.

Drive's viewset lists ``ResourceServerAuthentication`` alone; here ``DelegatedTokenAuthentication``
comes first, and session authentication last, to show that the permission refuses sessions.
"""

from typing import Any

from django.conf import settings
from lasuite.oidc_resource_server.authentication import ResourceServerAuthentication
from rest_framework import decorators, mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from django_app_delegation.authentication import DelegatedTokenAuthentication
from django_app_delegation.contrib.lasuite import ExternalAPIPermission

from .delegation import IsWidgetMember
from .models import Widget


class ExternalWidgetSerializer(serializers.ModelSerializer):
    """A widget, with the extra attributes its caller's audience is entitled to."""

    class Meta:
        model = Widget
        fields = ["id", "name"]

    def to_representation(self, instance: Widget) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context["request"]
        audience = getattr(request, "resource_server_token_audience", None)
        extra = settings.EXTERNAL_API_AUD_WIDGET_ATTRIBUTES.get(audience, ())
        if "member_count" in extra:
            data["member_count"] = instance.members.count()
        return data


class ResourceServerRestrictionMixin:
    def _get_resource_server_actions(self, resource_name: str) -> list[str]:
        external_api_config = settings.EXTERNAL_API.get(resource_name, {})
        return list(external_api_config.get("actions", []))


class ResourceServerWidgetViewSet(
    ResourceServerRestrictionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = [
        DelegatedTokenAuthentication,
        ResourceServerAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [ExternalAPIPermission & IsWidgetMember]
    serializer_class = ExternalWidgetSerializer
    queryset = Widget.objects.all()

    @property
    def resource_server_actions(self) -> list[str]:
        return self._get_resource_server_actions("widgets")

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset.filter(members=self.request.user)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        serializer.save().members.add(self.request.user)

    @decorators.action(detail=True, methods=["get"])
    def members(self, request: Any, pk: Any = None) -> Response:
        widget = self.get_object()
        return Response({"members": sorted(user.email for user in widget.members.all())})
