"""The token endpoint alone in the app's namespace, and the well-known URLs, for
``@pytest.mark.urls``: the metadata then leaves out revocation and introspection."""

from django.urls import include, path

from django_app_delegation.views import DelegationTokenView

endpoints = [path("application/token/", DelegationTokenView.as_view(), name="token")]

urlpatterns = [
    path("external-api/v1.0/", include((endpoints, "app_delegation"))),
    path("", include("django_app_delegation.urls_wellknown")),
]
