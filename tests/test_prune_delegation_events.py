"""``prune_delegation_events --older-than AGE``: deletes the audit events older than AGE."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_app_delegation.models import DelegationEvent

pytestmark = pytest.mark.django_db


def make_events(*ages):
    now = timezone.now()
    for age in ages:
        DelegationEvent.objects.create(action="issue_token", outcome="success", timestamp=now - age)


def remaining_ages():
    now = timezone.now()
    return sorted(
        round((now - timestamp) / timedelta(days=1))
        for timestamp in DelegationEvent.objects.values_list("timestamp", flat=True)
    )


def prune(*args):
    out = StringIO()
    call_command("prune_delegation_events", *args, stdout=out)
    return out.getvalue()


def test_events_older_than_the_age_are_deleted(application):
    make_events(*(timedelta(days=days) for days in (1, 30, 89, 91, 120, 400)))

    output = prune("--older-than", "90d")

    assert remaining_ages() == [1, 30, 89]
    assert output.startswith("Deleted 3 events older than ")


@pytest.mark.parametrize(
    ("age", "kept"), [("12w", [1, 30]), ("36h", [1]), ("2000m", [1]), ("10s", [])]
)
def test_the_age_takes_weeks_hours_minutes_and_seconds(age, kept):
    make_events(timedelta(hours=23), timedelta(days=30), timedelta(days=100))

    prune("--older-than", age)

    assert remaining_ages() == kept


def test_deletes_in_batches(django_assert_max_num_queries):
    make_events(*(timedelta(days=100) for _ in range(7)), timedelta(days=1))

    # Three batches of three (SELECT ids, DELETE), then the empty SELECT.
    with django_assert_max_num_queries(7):
        output = prune("--older-than", "90d", "--batch-size", "3")

    assert output.startswith("Deleted 7 events")
    assert remaining_ages() == [1]


def test_dry_run_counts_and_deletes_nothing():
    make_events(timedelta(days=100), timedelta(days=1))

    output = prune("--older-than", "90d", "--dry-run")

    assert output.startswith("1 event older than ")
    assert DelegationEvent.objects.count() == 2


@pytest.mark.parametrize("age", ["90", "d90", "3 months", "-5d", "90y", ""])
def test_an_age_without_a_known_unit_is_an_error(age):
    with pytest.raises(CommandError, match="--older-than"):
        prune("--older-than", age)


def test_the_age_is_required():
    with pytest.raises(CommandError, match="--older-than"):
        prune()


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="--batch-size"):
        prune("--older-than", "90d", "--batch-size", "0")
