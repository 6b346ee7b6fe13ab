"""La Suite numérique integration: django-lasuite's OIDC resource server beside delegated tokens.

Install with ``pip install "django-app-delegation[lasuite]"``.

``ExternalAPIPermission`` (in ``permissions``) opens a host's ``external_api`` viewsets to both
kinds of token; ``provisioning.get_delegated_user`` is the ``GET_DELEGATED_USER`` hook of a
project that reconciles provisional users at their first OIDC login, as La Suite Meet does. The
permission needs django-lasuite and is imported on first use, so the rest of this package works
without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .permissions import ExternalAPIPermission

__all__ = ["ExternalAPIPermission"]


def __getattr__(name: str) -> Any:
    if name == "ExternalAPIPermission":
        from .permissions import ExternalAPIPermission

        return ExternalAPIPermission
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
