"""What listing a resource costs the database: a constant number of queries whatever the page
size, and a provenance lookup that stays on an index (PostgreSQL's ``EXPLAIN``).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_app_delegation.models import ResourceProvenance, pk_as_text
from django_app_delegation.viewsets import ResourceViewSet
from tests.helpers import NOTES, WIDGETS, client_for
from tests.testapp.models import Note, Widget

pytestmark = pytest.mark.django_db


def create_with_provenance(model, count, *, applications, users, members=False):
    """``count`` objects made through the ORM, spread over ``applications`` and ``users``, each
    with the provenance record the API would have written."""
    if model is Widget:
        model.objects.bulk_create([Widget(name=f"widget {i:05}") for i in range(count)])
    else:
        model.objects.bulk_create([Note(text=f"note {i:05}") for i in range(count)])
    content_type = ContentType.objects.get_for_model(model)
    records, memberships = [], []
    for i, instance in enumerate(model.objects.all()):
        user = users[i % len(users)]
        records.append(
            ResourceProvenance(
                application=applications[i % len(applications)],
                user=user,
                content_type=content_type,
                object_id=pk_as_text(instance),
            )
        )
        if members and model is Widget:
            memberships.append(Widget.members.through(widget_id=instance.pk, user_id=user.pk))
    ResourceProvenance.objects.bulk_create(records)
    Widget.members.through.objects.bulk_create(memberships)


# -- query budget ------------------------------------------------------------------------------


@pytest.fixture
def page_size(settings, delegation):
    """Set ``REST_FRAMEWORK["PAGE_SIZE"]`` for the resource viewset's pagination."""
    delegation(RESOURCE_PAGINATION_CLASS="tests.doubles.RequestTimePageSizePagination")

    def set_size(size):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": size}

    return set_size


@pytest.mark.parametrize("visibility", ["application", "user"])
@pytest.mark.parametrize(
    ("model", "url"), [(Widget, WIDGETS), (Note, NOTES)], ids=["widgets", "notes"]
)
def test_list_costs_three_queries_for_a_page_of_1_or_of_100(
    partner, user, delegation, page_size, visibility, model, url
):
    delegation(OBJECT_VISIBILITY=visibility)
    create_with_provenance(model, 100, applications=[partner], users=[user], members=True)
    client = client_for(partner)
    queries = {}
    for size in (1, 100):
        page_size(size)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content
        assert response.json()["count"] == 100
        assert len(response.json()["results"]) == size
        queries[size] = len(captured)

    # One for the token's user and application, one COUNT for the paginator, one for the page
    # (content types come from Django's cache).
    assert queries == {1: 3, 100: 3}


def test_retrieve_costs_the_same_queries_whichever_object(partner, user):
    client = client_for(partner)
    ids = [client.post(NOTES, {"text": f"note {i}"}, format="json").json()["id"] for i in range(3)]
    counts = []
    for note_id in ids:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{NOTES}{note_id}/").status_code == 200
        counts.append(len(captured))

    # The token's user and application, then the note with its provenance checks.
    assert counts == [2, 2, 2]


# -- the provenance lookup stays on an index (PostgreSQL) --------------------------------------


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def provenance_scans(queryset):
    """The plan nodes reading the provenance table (bitmap index scans under their heap scan)."""
    table = ResourceProvenance._meta.db_table
    plan = json.loads(queryset.explain(format="json"))[0]["Plan"]
    scans = []
    for node in plan_nodes(plan):
        if node.get("Relation Name") == table:
            if node["Node Type"] == "Bitmap Heap Scan":
                names = [child.get("Index Name") for child in plan_nodes(node) if child is not node]
                scans.append((node["Node Type"], names))
            else:
                scans.append((node["Node Type"], [node.get("Index Name")]))
    return scans


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
@pytest.mark.parametrize(
    ("resource", "visibility", "lookups"),
    [
        ("widgets", "application", 1),  # the application's records (the hook joins members)
        ("notes", "application", 2),  # the user's records (default hook), the application's
        ("notes", "user", 1),  # the user's records
    ],
)
def test_list_queryset_reads_provenance_through_an_index(
    make_application, user, django_user_model, delegation, resource, visibility, lookups
):
    delegation(OBJECT_VISIBILITY=visibility)
    applications = [make_application(name=f"Partner {i}", scopes=[]) for i in range(8)]
    users = [user] + [
        django_user_model.objects.create_user(username=f"user{i}", email=f"user{i}@example.com")
        for i in range(10)
    ]
    # 2,000 records per model, from 8 applications for 11 users.
    create_with_provenance(Widget, 2000, applications=applications, users=users, members=True)
    create_with_provenance(Note, 2000, applications=applications, users=users)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        table = ResourceProvenance._meta.db_table
        indexes = {
            name
            for name, info in connection.introspection.get_constraints(cursor, table).items()
            if (info["index"] or info["unique"]) and not info["primary_key"]
        }
    # The queryset exactly as the viewset builds it for a list call of the first application.
    request = SimpleNamespace(user=user, auth=SimpleNamespace(application_id=applications[0].pk))
    view = ResourceViewSet(resource_name=resource, action="list", request=request)

    scans = provenance_scans(view.get_queryset())

    # No planner setting is forced: with these statistics PostgreSQL picks an index itself.
    assert len(scans) == lookups, scans
    for node_type, index_names in scans:
        assert node_type in {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}, scans
        assert index_names, scans
        assert set(index_names) <= indexes, scans
