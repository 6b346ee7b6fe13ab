"""URLs of the example project: Meet's external API, the admin and the OpenAPI documents."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swagger-ui", permanent=False)),
    path("admin/", admin.site.urls),
    path("external-api/v1.0/", include("django_app_delegation.urls")),
    # The JWK Set and the authorization server metadata (RFC 8414), at the site root.
    path("", include("django_app_delegation.urls_wellknown")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="meet/redoc.html"),
        name="redoc",
    ),
]
