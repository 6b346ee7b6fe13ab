"""Hooks of the ``rooms`` resource in ``APP_DELEGATION["RESOURCES"]`` (Meet's behaviour)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request

from django_app_delegation.authentication import DelegatedToken
from django_app_delegation.conf import delegation_settings
from django_app_delegation.domains import normalize_email
from django_app_delegation.exceptions import (
    MultipleUsers,
    ProvisioningFailed,
    TokenRequestError,
    UserInactive,
    UserNotFound,
)
from django_app_delegation.models import Application

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


class AccessRefused(exceptions.APIException):
    """A refusal of the delegation hooks, answered with their status and description."""

    def __init__(self, error: TokenRequestError) -> None:
        super().__init__(error.description)
        self.status_code = error.status


def find_grantee(request: Request, email: str) -> Any:
    """The user to give a role to, as the token endpoint would find (or provision) them.

    For a delegated token the application's own rules apply: its e-mail domains
    (``CAN_DELEGATE``) and ``GET_DELEGATED_USER``, which creates a provisional user when allowed.
    Other callers (resource-server, add-ons tokens) reach existing users only. An e-mail that
    names no usable user is a field error (400): a 404 is kept for a room that does not exist.
    """
    auth = request.auth
    if isinstance(auth, DelegatedToken):
        application = Application.objects.get(pk=auth.application_id)
        try:
            email = normalize_email(email)
        except ValueError:
            raise exceptions.ValidationError(
                {"email": [_("Enter a valid email address.")]}
            ) from None
        if not delegation_settings.CAN_DELEGATE(
            application=application, email=email, request=request
        ):
            raise exceptions.PermissionDenied(
                _("This application is not authorized for this email domain.")
            )
        try:
            user = delegation_settings.GET_DELEGATED_USER(
                email=email, application=application, request=request
            )
        except (UserNotFound, UserInactive, MultipleUsers) as error:
            if isinstance(error, ProvisioningFailed):  # A lost race, not the e-mail's fault.
                raise AccessRefused(error) from None
            raise exceptions.ValidationError({"email": [error.description]}) from None
        except TokenRequestError as error:
            raise AccessRefused(error) from None
    else:
        users = list(get_user_model()._default_manager.filter(email__iexact=email)[:2])
        if len(users) != 1:
            raise exceptions.ValidationError({"email": [_("User not found.")]})
        user = users[0]
    if not user.is_active:
        raise exceptions.ValidationError({"email": [_("User account is disabled.")]})
    return user


def grant_access(*, request: Request, instance: Room, data: Mapping[str, Any], **kwargs: Any):
    """``POST rooms/<id>/grant-access/``: give the user with ``email`` the ``role`` on the room.

    The caller administers the room (``RoomPermissions``); only an owner may give the owner
    role, and the room keeps at least one owner. Granting a role the user has is a no-op.
    """
    role = data["role"]
    if role == RoleChoices.OWNER and instance.get_role(request.user) != RoleChoices.OWNER:
        raise exceptions.PermissionDenied(_("Only owners can give the owner role."))
    grantee = find_grantee(request, data["email"])
    access, created = ResourceAccess.objects.get_or_create(
        room=instance, user=grantee, defaults={"role": role}
    )
    if not created and access.role != role:
        owners = instance.accesses.filter(role=RoleChoices.OWNER)
        if access.role == RoleChoices.OWNER and owners.count() == 1:
            raise exceptions.PermissionDenied(_("A resource should keep at least one owner."))
        access.role = role
        access.save(update_fields=["role"])
    logger.info(
        "Room access granted via application: room_id=%s, user_id=%s, role=%s, by_user_id=%s",
        instance.pk,
        grantee.pk,
        role,
        request.user.pk,
    )
    return access
