"""The app's URLs with stand-ins named ``revoke`` and ``introspect`` in its namespace, and the
well-known URLs, for ``@pytest.mark.urls``: the metadata then lists those two endpoints."""

from django.urls import include, path

from django_app_delegation import urls as delegation_urls
from tests.testapp.views import WhoAmIView

endpoints = [
    *delegation_urls.urlpatterns,
    path("application/revoke/", WhoAmIView.as_view(), name="revoke"),
    path("application/introspect/", WhoAmIView.as_view(), name="introspect"),
]

urlpatterns = [
    path("external-api/v1.0/", include((endpoints, "app_delegation"))),
    path("", include("django_app_delegation.urls_wellknown")),
]
