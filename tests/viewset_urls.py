"""A URLconf mounting subclasses of the resource viewset, for ``@pytest.mark.urls``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from django_app_delegation.urls import DETAIL_ACTIONS, LIST_ACTIONS, resource_urlpatterns
from tests.testapp.views import (
    CountedNoteViewSet,
    GadgetViewSet,
    PlainNoteViewSet,
    TaggedViewSet,
)

router = SimpleRouter()
router.register("routed-gadgets", GadgetViewSet, basename="routed-gadgets")

urlpatterns = [
    path("external-api/v1.0/", include("django_app_delegation.urls")),
    path("gadgets/", GadgetViewSet.as_view({**LIST_ACTIONS}), name="gadgets-list"),
    path("gadgets/<str:id>/", GadgetViewSet.as_view({**DETAIL_ACTIONS}), name="gadgets-detail"),
    path("counted-notes/", CountedNoteViewSet.as_view({**LIST_ACTIONS}), name="counted-notes-list"),
    path(
        "counted-notes/<str:id>/",
        CountedNoteViewSet.as_view({**DETAIL_ACTIONS}),
        name="counted-notes-detail",
    ),
    path("plain-notes/", PlainNoteViewSet.as_view({**LIST_ACTIONS}), name="plain-notes-list"),
    path(
        "plain-notes/<str:id>/",
        PlainNoteViewSet.as_view({"get": "retrieve"}),
        name="plain-notes-detail",
    ),
    path("tagged/", include(resource_urlpatterns(TaggedViewSet))),
    path("", include(router.urls)),
]
