"""Well-known URLs (RFC 8615): include them at the site root, without a prefix.

``path("", include("django_app_delegation.urls_wellknown"))`` serves ``.well-known/jwks.json``.
"""

from django.urls import path

from .wellknown import JWKSView

app_name = "app_delegation_wellknown"

urlpatterns = [
    path(".well-known/jwks.json", JWKSView.as_view(), name="jwks"),
]
