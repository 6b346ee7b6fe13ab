"""Object rules of the external rooms API."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from .models import RoleChoices, Room


class RoomPermissions(permissions.BasePermission):
    """Read with any role on the room, delete as its owner, change it as administrator or owner."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Room) -> bool:
        role = obj.get_role(request.user)
        if request.method in permissions.SAFE_METHODS:
            return role is not None
        if request.method == "DELETE":
            return role == RoleChoices.OWNER
        return role in (RoleChoices.ADMIN, RoleChoices.OWNER)
