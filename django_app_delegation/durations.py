"""Durations typed by people: ``30m``, ``24h``, ``7d``, or plain seconds (``3600``).

One parser for the management commands (``--keep-old-for``, ``--access-token-lifetime``,
``prune_delegation_events --older-than``) and the admin's forms, so that the same text means the
same duration everywhere. Django's own forms (``1 00:00:00``, ISO 8601 ``P1D``) are accepted too,
unless a unit is required.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils.dateparse import parse_duration

#: Seconds in each unit suffix.
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The units of an age (``prune_delegation_events --older-than``): weeks too.
AGE_UNITS = {**UNITS, "w": 604800}
_SHORT_FORM = re.compile(r"^(?P<number>\d{1,9})(?P<unit>[a-z]?)$")


def parse_duration_text(
    text: str, *, units: dict[str, int] = UNITS, unit_required: bool = False
) -> timedelta:
    """The duration ``text`` says; ValueError for anything else (negative durations included).

    ``units`` are the suffixes accepted (seconds each). With ``unit_required``, only a number and
    one of them (``90d``) is accepted, not plain seconds nor Django's forms.
    """
    value = text.strip().lower()
    match = _SHORT_FORM.match(value)
    if match and match["unit"] and match["unit"] not in units:
        match = None
    if unit_required and (match is None or not match["unit"]):
        raise ValueError(f"Not a number and a unit: {text!r}.")
    if match:
        return timedelta(seconds=int(match["number"]) * units[match["unit"] or "s"])
    # Django's parser reads an empty text as zero.
    parsed = parse_duration(text.strip()) if value else None
    if parsed is None or parsed < timedelta(0):
        raise ValueError(f"Not a duration: {text!r}.")
    return parsed


def format_duration(value: timedelta) -> str:
    """``value`` in the largest unit that divides it: ``24h``, ``90m``, ``7d``, ``45s``."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"
