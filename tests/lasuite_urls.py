"""The test URLs plus a Drive-shaped ``external_api`` (needs django-lasuite), for
``@pytest.mark.urls``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tests.testapp.external_api import ResourceServerWidgetViewSet

router = SimpleRouter()
router.register("widgets", ResourceServerWidgetViewSet, basename="widgets")

urlpatterns = [
    path("external_api/v1.0/", include(router.urls)),
    path("", include("tests.urls")),
]
