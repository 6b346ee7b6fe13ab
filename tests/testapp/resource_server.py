"""The resource-server backend a host sets in ``OIDC_RS_BACKEND_CLASS`` (needs django-lasuite).

django-lasuite finds the token's user by a ``sub`` field; La Suite Meet subclasses the backend
for its own user rules, and the test user keeps its OIDC subject in ``username``.
"""

from typing import Any

from django.core.exceptions import SuspiciousOperation
from lasuite.oidc_resource_server.backend import ResourceServerBackend


class UsernameSubjectBackend(ResourceServerBackend):
    """Find the user whose ``username`` is the token's ``sub``."""

    def get_user(self, access_token: str, id_token: Any, payload: dict[str, Any]) -> Any:
        sub = payload.get("sub")
        if sub is None:
            raise SuspiciousOperation("User info contained no recognizable user identification")
        return self.UserModel.objects.filter(username=sub).first()
