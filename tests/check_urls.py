"""URLconfs for the W004 check: views that check scopes with and without our authenticator."""

from django.urls import include, path
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from django_app_delegation.authentication import DelegatedTokenAuthentication
from django_app_delegation.permissions import HasActionScope, HasScope
from tests.testapp.views import RoomLikeViewSet


class IsSessionUser(BasePermission):
    def has_permission(self, request, view):
        return request.auth is None and bool(request.user and request.user.is_authenticated)


class SessionOnlyScopedView(APIView):
    """Checks a scope, but only sessions authenticate: delegated tokens never get in."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [HasScope]
    required_scopes = ["rooms:list"]

    def get(self, request):
        return Response({})


class SessionOrScopeView(SessionOnlyScopedView):
    """The scope check hides in a composed permission."""

    permission_classes = [IsSessionUser | HasScope]


class SessionOnlyRoomViewSet(RoomLikeViewSet):
    authentication_classes = [SessionAuthentication]
    permission_classes = [HasActionScope]


class TokenScopedView(SessionOnlyScopedView):
    authentication_classes = [DelegatedTokenAuthentication, SessionAuthentication]


class SessionView(APIView):
    """No scope check: nothing to say."""

    authentication_classes = [SessionAuthentication]

    def get(self, request):
        return Response({})


urlpatterns = [
    path("partner-api/", include("django_app_delegation.urls")),
    path("session-only/", SessionOnlyScopedView.as_view()),
    path("session-or-scope/", SessionOrScopeView.as_view()),
    path("rooms/", SessionOnlyRoomViewSet.as_view({"get": "list"})),
    path("token-scoped/", TokenScopedView.as_view()),
    path("session/", SessionView.as_view()),
]
