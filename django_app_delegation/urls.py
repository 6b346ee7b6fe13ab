"""URLs of the delegation API; include them under any prefix, e.g. ``external-api/v1.0/``."""

from django.urls import path

from .views import DelegationTokenView

app_name = "app_delegation"

urlpatterns = [
    path("application/token/", DelegationTokenView.as_view(), name="token"),
]
