"""Who is calling: the application behind a delegated token, or the service an OIDC resource
server (django-lasuite) names by its audience. Resource provenance is recorded and read per caller.

django-lasuite's ``ResourceServerAuthentication`` stores the calling service's client id on
``request.resource_server_token_audience``; ``DelegatedTokenAuthentication`` stores there the
audience ``GET_APPLICATION_AUDIENCE`` gives the application (its ``client_id`` by default), so
host code keyed on that attribute serves both kinds of caller.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from rest_framework.request import Request

#: The request attribute django-lasuite's resource server sets to the caller's audience.
AUDIENCE_ATTRIBUTE = "resource_server_token_audience"
#: Longest audience provenance records hold (an OIDC client id; longer ones are refused).
AUDIENCE_MAX_LENGTH = 255


@dataclass(frozen=True)
class Caller:
    """An application (delegated token), or a service known only by its audience."""

    application_id: uuid.UUID | None
    audience: str

    def provenance_lookup(self) -> dict[str, Any]:
        """Filter of the provenance records this caller left.

        An application's records are its own; a service's are those left under its audience by
        no application, so a token of one kind never reaches what a caller of the other created,
        whatever audience a ``GET_APPLICATION_AUDIENCE`` hook gives applications.
        """
        if self.application_id is not None:
            return {"application_id": self.application_id}
        return {"application__isnull": True, "audience": self.audience}


def get_audience(request: Request) -> str | None:
    """``request.resource_server_token_audience``, when an authenticator set it."""
    audience = getattr(request, AUDIENCE_ATTRIBUTE, None)
    return audience if isinstance(audience, str) and audience else None


def get_caller(request: Request) -> Caller | None:
    """The caller of ``request``, or None (a session, an anonymous request, another token)."""
    application_id = getattr(getattr(request, "auth", None), "application_id", None)
    audience = get_audience(request)
    if isinstance(application_id, uuid.UUID):
        return Caller(application_id=application_id, audience=audience or "")
    if audience is not None:
        return Caller(application_id=None, audience=audience)
    return None
