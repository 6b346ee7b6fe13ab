from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tests.testapp.views import RoomLikeViewSet, WhoAmIView

router = SimpleRouter()
router.register("rooms", RoomLikeViewSet, basename="rooms")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("external-api/v1.0/", include("django_app_delegation.urls")),
    path("", include("django_app_delegation.urls_wellknown")),
    path("whoami/", WhoAmIView.as_view(), name="whoami"),
    path("", include(router.urls)),
]
