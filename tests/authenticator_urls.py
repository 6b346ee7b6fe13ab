"""The test URLs plus views reading their authenticators from ``REST_FRAMEWORK`` at request time,
for ``@pytest.mark.urls`` with the ``second_authenticator`` fixture."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tests.testapp.views import LiveRoomViewSet, LiveScopedView

router = SimpleRouter()
router.register("live/rooms", LiveRoomViewSet, basename="live-rooms")

urlpatterns = [
    path("live/scoped/", LiveScopedView.as_view(), name="live-scoped"),
    path("", include(router.urls)),
    path("", include("tests.urls")),
]
