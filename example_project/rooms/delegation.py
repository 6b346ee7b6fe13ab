"""Hooks of the ``rooms`` resource in ``APP_DELEGATION["RESOURCES"]`` (Meet's behaviour)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from .models import ResourceAccess, RoleChoices, Room

logger = logging.getLogger("rooms")


def get_queryset(*, request: Request, queryset: QuerySet, action: str | None, **kwargs: Any):
    """List the rooms the user has any role on; other actions reach every room.

    Retrieve, update and delete look the room up among all rooms so that the object permissions
    answer 403 for someone else's room and only an unknown id gives 404, as in Meet.
    """
    if not getattr(request.user, "is_authenticated", False):
        return queryset.none()
    if action == "list":
        return queryset.filter(users=request.user).distinct()
    return queryset


def perform_create(*, request: Request, serializer: Any, **kwargs: Any) -> Room:
    """Save the room and make the delegated user its owner."""
    room = serializer.save()
    auth = request.auth
    client_id = auth.get("client_id", "unknown") if isinstance(auth, Mapping) else "unknown"
    ResourceAccess.objects.create(room=room, user=request.user, role=RoleChoices.OWNER)
    logger.info(
        "Room created via application: room_id=%s, user_id=%s, client_id=%s, auth_method=%s",
        room.pk,
        request.user.pk,
        client_id,
        type(request.successful_authenticator).__name__,
    )
    return room
