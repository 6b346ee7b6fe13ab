"""Durations typed by people (``durations.py``): what the commands and the admin accept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_app_delegation.durations import format_duration, parse_duration_text


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("45", timedelta(seconds=45)),
        ("45s", timedelta(seconds=45)),
        (" 30M ", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("0", timedelta(0)),
        ("1 02:00:00", timedelta(days=1, hours=2)),
        ("P1DT2H", timedelta(days=1, hours=2)),
    ],
)
def test_parse_reads_short_forms_seconds_and_djangos_forms(text, duration):
    assert parse_duration_text(text) == duration


@pytest.mark.parametrize("text", ["", " ", "soon", "1.5h", "-5m", "-1 00:00:00", "5w", "h"])
def test_parse_refuses_anything_else(text):
    with pytest.raises(ValueError, match="Not a duration"):
        parse_duration_text(text)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(days=7), "7d"),
        (timedelta(hours=24), "1d"),
        (timedelta(hours=36), "36h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=45), "45s"),
        (timedelta(0), "0s"),
    ],
)
def test_format_uses_the_largest_unit_that_divides(duration, text):
    assert format_duration(duration) == text
    assert parse_duration_text(text) == duration
