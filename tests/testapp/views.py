from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from django_app_delegation.permissions import HasActionScope, HasScope


class WhoAmIView(APIView):
    """A scope-protected view: needs ``rooms:list``."""

    permission_classes = [HasScope]
    required_scopes = ["rooms:list"]

    def get(self, request):
        return Response(
            {
                "user": request.user.email,
                "client_id": request.auth.client_id,
                "scopes": sorted(request.auth.scopes),
            }
        )


class RoomLikeViewSet(viewsets.ViewSet):
    permission_classes = [HasActionScope]
    scope_map = {
        "list": "rooms:list",
        "retrieve": "rooms:retrieve",
        "create": "rooms:create",
        "update": "rooms:update",
        "partial_update": "rooms:update",
        "destroy": "rooms:delete",
    }

    def list(self, request):
        return Response({"action": "list"})

    def create(self, request):
        return Response({"action": "create"}, status=201)

    def retrieve(self, request, pk=None):
        return Response({"action": "retrieve"})

    def destroy(self, request, pk=None):
        return Response(status=204)

    def update(self, request, pk=None):
        return Response({"action": "update"})
