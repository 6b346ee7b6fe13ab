"""What the app's management commands share: translated help, applications by client_id, and
durations typed as ``30m``, ``24h``, ``7d`` or seconds."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from django_app_delegation.durations import parse_duration_text
from django_app_delegation.models import Application


class DelegationCommand(BaseCommand):
    """A command described by ``help_text``, a lazy translation read in the active language."""

    help_text: str | Promise = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # argparse handles only str: the translation is read now, in the command's language.
        self.help = str(self.help_text)
        return super().create_parser(prog_name, subcommand, **kwargs)


def get_applications(client_ids: Sequence[str]) -> list[Application]:
    """The applications with these exact client ids, in that order; CommandError for any other.

    The match is exact even where the database collation folds case (MariaDB's default).
    """
    found = {
        application.client_id: application
        for application in Application.objects.filter(client_id__in=list(client_ids))
    }
    for client_id in client_ids:
        if client_id not in found:
            raise CommandError(
                _("No application with client_id %(client_id)s.") % {"client_id": repr(client_id)}
            )
    return [found[client_id] for client_id in dict.fromkeys(client_ids)]


def duration_argument(text: str) -> timedelta:
    """An argparse ``type`` for durations (see ``durations.parse_duration_text``)."""
    try:
        return parse_duration_text(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a duration: use 30m, 24h, 7d or a number of seconds.")
            % {"value": repr(text)}
        ) from None
