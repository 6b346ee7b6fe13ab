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


# -- at 100,000 rows, a typical user's list never reads the host table whole (PostgreSQL) -------


def fill_at_scale(model, *, rows, typical_user, others, application, other_applications):
    """``rows`` objects of ``model`` with their provenance records, written by the database
    (generate_series): 10 for ``typical_user`` through ``application``, the rest spread over
    ``others`` and ``other_applications``."""
    table = model._meta.db_table
    provenance = ResourceProvenance._meta.db_table
    content_type = ContentType.objects.get_for_model(model).pk
    with connection.cursor() as cursor:
        if model is Widget:
            cursor.execute(
                f"INSERT INTO {table} (id, name) SELECT gen_random_uuid(), 'widget ' || g "
                "FROM generate_series(1, %s) g",
                [rows],
            )
        else:
            cursor.execute(
                f"INSERT INTO {table} (text) SELECT 'note ' || g FROM generate_series(1, %s) g",
                [rows],
            )
        cursor.execute(
            f"INSERT INTO {provenance} "
            "(application_id, audience, user_id, content_type_id, object_id, created_at) "
            "SELECT CASE WHEN n <= 10 THEN %s::uuid ELSE (%s::uuid[])[1 + n %% %s] END, '', "
            "CASE WHEN n <= 10 THEN %s ELSE (%s::bigint[])[1 + n %% %s] END, %s, id::text, now() "
            f"FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table}) AS numbered",
            [
                str(application.pk),
                [str(app.pk) for app in other_applications],
                len(other_applications),
                typical_user.pk,
                [user.pk for user in others],
                len(others),
                content_type,
            ],
        )


def host_scans(sql, table):
    """The plan nodes of ``sql`` that read ``table``, by type."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (plan,) = cursor.fetchone()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return [
        node["Node Type"]
        for node in plan_nodes(plan[0]["Plan"])
        if node.get("Relation Name") == table
    ]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
@pytest.mark.parametrize(
    ("resource", "model", "visibility"),
    [
        ("notes", Note, "user"),
        ("notes", Note, "application"),
        # The default GET_QUERYSET on a UUID key (the widgets resource has its own hook).
        ("notes", Widget, "application"),
    ],
    ids=["integer-key-user", "integer-key-application", "uuid-key-application"],
)
def test_list_at_100k_rows_reads_no_host_table_sequentially(
    make_application, user, django_user_model, delegation, resource, model, visibility
):
    delegation(OBJECT_VISIBILITY=visibility)
    application = make_application(name="Partner", scopes=[])
    others = [
        django_user_model.objects.create_user(username=f"user{i}", email=f"user{i}@example.com")
        for i in range(50)
    ]
    other_applications = [make_application(name=f"Other {i}", scopes=[]) for i in range(8)]
    fill_at_scale(
        model,
        rows=100_000,
        typical_user=user,
        others=others,
        application=application,
        other_applications=other_applications,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    request = SimpleNamespace(user=user, auth=SimpleNamespace(application_id=application.pk))
    view = ResourceViewSet(resource_name=resource, action="list", request=request)
    view.get_model = lambda: model
    queryset = view.get_queryset()

    # What the paginator sends: the COUNT, then the first page.
    with CaptureQueriesContext(connection) as captured:
        assert queryset.count() == 10
        assert len(list(queryset.order_by("pk")[:20])) == 10
    count_sql, page_sql = (query["sql"] for query in captured.captured_queries)

    # No planner setting is forced: PostgreSQL reaches the host rows through their key.
    table = model._meta.db_table
    for sql in (count_sql, page_sql):
        scans = host_scans(sql, table)
        assert scans, sql
        assert "Seq Scan" not in scans, (scans, sql)
