"""Only the app's URLs, as a project would include them (for schema tests)."""

from django.urls import include, path

urlpatterns = [path("external-api/v1.0/", include("django_app_delegation.urls"))]
