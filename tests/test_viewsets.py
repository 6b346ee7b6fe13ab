"""The resource viewset configured from ``APP_DELEGATION["RESOURCES"]``: scopes per action,
allowed actions, CRUD on the test resources, object rules, settings read at request time and the
options that shape routes, read when the URLconf is built.

Provenance and ``OBJECT_VISIBILITY`` are specified in ``test_viewset_provenance.py``, query
budgets and the index in ``test_viewset_queries.py``, subclasses in ``test_viewset_subclasses.py``,
the system checks in ``test_viewset_checks.py`` and concurrent writes in real concurrent
transactions in ``test_viewset_concurrency.py``.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from django_app_delegation.models import ResourceProvenance
from django_app_delegation.resources import ACTIONS
from django_app_delegation.urls import DETAIL_ACTIONS
from django_app_delegation.viewsets import ResourceViewSet
from tests.testapp.models import Note, Widget
from tests.viewset_helpers import (
    NOTE_SCOPES,
    NOTES,
    WIDGET_SCOPES,
    WIDGETS,
    Partner,
    note_url,
    widget_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(make_application):
    return Partner.register(make_application, "Partner A", WIDGET_SCOPES + NOTE_SCOPES)


@pytest.fixture
def vocabulary(settings, delegation):
    """Add scopes to the ``SCOPES`` vocabulary (before registering applications that hold them)."""

    def add(*names):
        scopes = dict(settings.APP_DELEGATION["SCOPES"])
        scopes.update({name: name for name in names})
        delegation(SCOPES=scopes)

    return add


@pytest.fixture
def lamp(partner, user):
    """A widget created through the API by ``partner`` for alice."""
    response = partner.client().post(WIDGETS, {"name": "Lamp"}, format="json")
    assert response.status_code == 201, response.content
    return Widget.objects.get(pk=response.json()["id"])


@pytest.fixture
def memo(partner, user):
    """A note created through the API by ``partner`` for alice."""
    response = partner.client().post(NOTES, {"text": "memo"}, format="json")
    assert response.status_code == 201, response.content
    return Note.objects.get(pk=response.json()["id"])


def insufficient_scope(scope):
    return f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'


# -- every action needs its scope --------------------------------------------------------------

WIDGET_ACTIONS = [
    # action, method, detail route?, body, success status, scope
    ("list", "get", False, None, 200, "widgets:list"),
    ("retrieve", "get", True, None, 200, "widgets:retrieve"),
    ("create", "post", False, {"name": "Desk"}, 201, "widgets:create"),
    ("update", "put", True, {"name": "Desk"}, 200, "widgets:update"),
    ("partial_update", "patch", True, {"name": "Desk"}, 200, "widgets:update"),
    ("destroy", "delete", True, None, 204, "widgets:delete"),
]
NOTE_ACTIONS = [
    ("list", "get", False, None, 200, "notes:list"),
    ("retrieve", "get", True, None, 200, "notes:retrieve"),
    ("create", "post", False, {"text": "draft"}, 201, "notes:create"),
]


def call(client, method, url, body):
    return (
        getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    )


@pytest.mark.parametrize(
    ("action", "method", "detail", "body", "status", "scope"),
    WIDGET_ACTIONS,
    ids=[case[0] for case in WIDGET_ACTIONS],
)
def test_widget_action_without_its_scope_is_refused_with_insufficient_scope(
    partner, lamp, action, method, detail, body, status, scope
):
    client = partner.client(scopes=[s for s in WIDGET_SCOPES if s != scope])

    response = call(client, method, widget_url(lamp) if detail else WIDGETS, body)

    assert response.status_code == 403
    assert response.json() == {"detail": f"Insufficient permissions. Required scope: {scope}"}
    assert response["WWW-Authenticate"] == insufficient_scope(scope)
    assert list(Widget.objects.values_list("name", flat=True)) == ["Lamp"]


@pytest.mark.parametrize(
    ("action", "method", "detail", "body", "status", "scope"),
    WIDGET_ACTIONS,
    ids=[case[0] for case in WIDGET_ACTIONS],
)
def test_widget_action_succeeds_with_only_its_scope(
    partner, lamp, action, method, detail, body, status, scope
):
    client = partner.client(scopes=[scope])

    response = call(client, method, widget_url(lamp) if detail else WIDGETS, body)

    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("action", "method", "detail", "body", "status", "scope"),
    NOTE_ACTIONS,
    ids=[case[0] for case in NOTE_ACTIONS],
)
def test_note_action_needs_its_scope(partner, memo, action, method, detail, body, status, scope):
    url = note_url(memo) if detail else NOTES
    without = partner.client(scopes=[s for s in NOTE_SCOPES if s != scope])
    only = partner.client(scopes=[scope])

    refused = call(without, method, url, body)
    allowed = call(only, method, url, body)

    assert refused.status_code == 403
    assert refused["WWW-Authenticate"] == insufficient_scope(scope)
    assert allowed.status_code == status, allowed.content


def test_scope_is_checked_before_the_object_is_looked_up(partner, user):
    client = partner.client(scopes=["widgets:list"])

    response = client.get(widget_url(uuid.uuid4()))

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == insufficient_scope("widgets:retrieve")


def test_scopes_of_another_resource_do_not_open_this_one(partner, user):
    client = partner.client(scopes=NOTE_SCOPES)

    response = client.get(WIDGETS)

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == insufficient_scope("widgets:list")


def test_action_scopes_option_overrides_the_scope_an_action_needs(
    make_application, user, vocabulary, resource_options
):
    vocabulary("widgets:read")
    resource_options("widgets", ACTION_SCOPES={"list": "widgets:read", "retrieve": "widgets:read"})
    partner = Partner.register(make_application, "Reader", [*WIDGET_SCOPES, "widgets:read"])

    with_default_scope = partner.client(scopes=["widgets:list", "widgets:retrieve"])
    with_override = partner.client(scopes=["widgets:read"])

    refused = with_default_scope.get(WIDGETS)
    assert refused.status_code == 403
    assert refused["WWW-Authenticate"] == insufficient_scope("widgets:read")
    assert with_override.get(WIDGETS).status_code == 200
    assert with_override.get(widget_url(uuid.uuid4())).status_code == 404
    # Actions the override leaves out keep their default scope.
    created = with_override.post(WIDGETS, {"name": "Desk"}, format="json")
    assert created.status_code == 403
    assert created["WWW-Authenticate"] == insufficient_scope("widgets:create")


def test_actions_need_credentials(user):
    response = APIClient().get(WIDGETS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_bearer_token_that_is_not_one_of_ours_is_401(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt-of-ours")

    response = client.get(NOTES)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="Invalid token."'
    )


# -- actions a resource does not allow ---------------------------------------------------------

DISALLOWED_NOTE_ACTIONS = [("put", {"text": "x"}), ("patch", {"text": "x"}), ("delete", None)]


@pytest.mark.parametrize(
    ("method", "body"), DISALLOWED_NOTE_ACTIONS, ids=["put", "patch", "delete"]
)
def test_actions_outside_actions_answer_405_once_authenticated(partner, memo, method, body):
    client = partner.client()

    response = call(client, method, note_url(memo), body)

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
    # OPTIONS (DRF's "metadata" action) is not served, so it is not advertised either.
    assert response["Allow"] == "GET, HEAD"
    assert Note.objects.get().text == "memo"


@pytest.mark.parametrize(
    ("method", "body"), DISALLOWED_NOTE_ACTIONS, ids=["put", "patch", "delete"]
)
def test_actions_outside_actions_answer_405_whatever_the_scopes(partner, memo, method, body):
    client = partner.client(scopes=["notes:list"])

    response = call(client, method, note_url(memo), body)

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("method", "body"), DISALLOWED_NOTE_ACTIONS, ids=["put", "patch", "delete"]
)
def test_actions_outside_actions_answer_401_without_credentials(memo, method, body):
    response = call(APIClient(), method, note_url(memo), body)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert Note.objects.get().text == "memo"


def test_allow_header_advertises_options_only_when_options_is_served(partner, user):
    response = partner.client().options(WIDGETS)

    allow = [method.strip() for method in response["Allow"].split(",")]
    assert ("OPTIONS" in allow) == (response.status_code != 405), (response.status_code, allow)


# -- CRUD on the widgets (custom hooks) --------------------------------------------------------


def test_create_answers_201_with_the_serialized_object_and_runs_the_create_hook(partner, user):
    response = partner.client().post(WIDGETS, {"name": "Lamp"}, format="json")

    assert response.status_code == 201
    widget = Widget.objects.get()
    assert response.json() == {"id": str(widget.pk), "name": "Lamp"}
    assert list(widget.members.all()) == [user]


def test_create_with_invalid_data_answers_400_and_creates_nothing(partner, user):
    response = partner.client().post(WIDGETS, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    assert not Widget.objects.exists()


def test_list_answers_the_callers_widgets_ordered_by_the_model(partner, user):
    client = partner.client()
    ids = {
        name: client.post(WIDGETS, {"name": name}, format="json").json()["id"]
        for name in ("Lamp", "Chair", "Desk")
    }

    response = client.get(WIDGETS)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": ids["Chair"], "name": "Chair"},
        {"id": ids["Desk"], "name": "Desk"},
        {"id": ids["Lamp"], "name": "Lamp"},
    ]


def test_retrieve_answers_the_widget(partner, lamp):
    response = partner.client().get(widget_url(lamp))

    assert response.status_code == 200
    assert response.json() == {"id": str(lamp.pk), "name": "Lamp"}


def test_update_replaces_the_widget(partner, lamp):
    response = partner.client().put(widget_url(lamp), {"name": "Desk lamp"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": str(lamp.pk), "name": "Desk lamp"}
    lamp.refresh_from_db()
    assert lamp.name == "Desk lamp"


def test_update_validates_like_create(partner, lamp):
    response = partner.client().put(widget_url(lamp), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    lamp.refresh_from_db()
    assert lamp.name == "Lamp"


def test_partial_update_changes_the_fields_sent(partner, lamp):
    response = partner.client().patch(widget_url(lamp), {"name": "Floor lamp"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": str(lamp.pk), "name": "Floor lamp"}
    lamp.refresh_from_db()
    assert lamp.name == "Floor lamp"


def test_destroy_answers_204_and_deletes_the_widget(partner, lamp):
    response = partner.client().delete(widget_url(lamp))

    assert response.status_code == 204
    assert response.content == b""
    assert not Widget.objects.exists()


def test_a_deleted_widget_is_gone_for_its_creator(partner, lamp):
    client = partner.client()
    client.delete(widget_url(lamp))

    assert client.get(widget_url(lamp)).status_code == 404
    assert client.get(WIDGETS).json()["results"] == []


# -- an object deleted by a concurrent request -------------------------------------------------


class DeleteAfterLookup:
    """An execute wrapper deleting an object and every provenance record right after the request's
    first read of the object's table: what a concurrent DELETE committing then would leave."""

    def __init__(self, model, pk):
        self.model = model
        self.pk = pk
        self.done = False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.done and sql.startswith("SELECT") and self.model._meta.db_table in sql:
            self.done = True
            ResourceProvenance.objects.all().delete()
            self.model.objects.filter(pk=self.pk).delete()
        return result


@pytest.fixture
def editor(make_application, user, vocabulary, resource_options, rebuild_urls):
    """A client for alice allowed every action on widgets and on notes (which allow them all)."""
    vocabulary("notes:update", "notes:delete")
    resource_options("notes", ACTIONS=list(ACTIONS))
    rebuild_urls()
    scopes = [*WIDGET_SCOPES, *NOTE_SCOPES, "notes:update", "notes:delete"]
    return Partner.register(make_application, "Editor", scopes).client()


@pytest.mark.parametrize(
    ("model", "url", "body"),
    [(Widget, WIDGETS, {"name": "Desk"}), (Note, NOTES, {"text": "final"})],
    ids=["widgets", "notes"],
)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_an_object_deleted_between_lookup_and_write_is_404_and_not_written_back(
    editor, model, url, body, method
):
    pk = editor.post(url, body, format="json").json()["id"]
    data = {} if method == "delete" else {"data": body}
    concurrent_delete = DeleteAfterLookup(model, pk)

    with (
        CaptureQueriesContext(connection) as queries,
        connection.execute_wrapper(concurrent_delete),
    ):
        response = getattr(editor, method)(f"{url}{pk}/", format="json", **data)

    assert concurrent_delete.done
    assert response.status_code == 404, response.content
    # On one connection the simulated delete rolls back with the request's transaction; what
    # matters is that the request wrote nothing (no INSERT re-creating the row).
    assert [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE"))] == []


@pytest.mark.django_db(transaction=True)
def test_locking_an_object_outside_a_transaction_does_nothing(lamp, django_assert_num_queries):
    # A subclass replacing update() or destroy() calls get_object() without their transaction.
    view = ResourceViewSet(resource_name="widgets")

    with django_assert_num_queries(0):
        view.lock_object(lamp)


# -- object-level rules ------------------------------------------------------------------------


def test_a_widget_the_user_is_not_a_member_of_is_403_on_every_detail_action(
    partner, user, django_user_model
):
    django_user_model.objects.create_user(username="bob", email="bob@example.com", password="x")
    created = partner.client("bob@example.com").post(WIDGETS, {"name": "Bob's"}, format="json")
    url = widget_url(created.json()["id"])
    client = partner.client()  # alice, through the application that created bob's widget

    responses = [
        client.get(url),
        client.put(url, {"name": "Mine"}, format="json"),
        client.patch(url, {"name": "Mine"}, format="json"),
        client.delete(url),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert responses[0].json() == {"detail": "You do not have permission to perform this action."}
    assert Widget.objects.get().name == "Bob's"
    assert client.get(WIDGETS).json()["results"] == []


def test_an_unknown_widget_id_is_404(partner, user):
    response = partner.client().get(widget_url(uuid.uuid4()))

    assert response.status_code == 404
    assert response.json() == {"detail": "No Widget matches the given query."}


@pytest.mark.parametrize("lookup", ["not-a-uuid", "123", "%20"])
def test_a_lookup_that_is_not_a_uuid_is_404(partner, user, lookup):
    client = partner.client()

    assert client.get(f"{WIDGETS}{lookup}/").status_code == 404
    assert client.patch(f"{WIDGETS}{lookup}/", {"name": "x"}, format="json").status_code == 404
    assert client.delete(f"{WIDGETS}{lookup}/").status_code == 404


def test_integer_keyed_notes_are_retrieved_by_their_id(partner, memo):
    response = partner.client().get(note_url(memo))

    assert response.status_code == 200
    assert response.json() == {"id": memo.pk, "text": "memo"}


@pytest.mark.parametrize("lookup", ["abc", "1.5", "999999"])
def test_a_note_lookup_that_matches_nothing_is_404(partner, memo, lookup):
    response = partner.client().get(f"{NOTES}{lookup}/")

    assert response.status_code == 404


# -- settings are read at request time ---------------------------------------------------------


def test_serializer_class_is_read_at_request_time(partner, memo, resource_options):
    client = partner.client()
    assert client.get(note_url(memo)).json() == {"id": memo.pk, "text": "memo"}

    resource_options("notes", SERIALIZER_CLASS="tests.viewset_helpers.NoteWithLengthSerializer")

    assert client.get(note_url(memo)).json() == {"id": memo.pk, "text": "memo", "length": 4}
    created = client.post(NOTES, {"text": "hello"}, format="json")
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "text": "hello", "length": 5}


def test_permission_classes_are_read_at_request_time(
    partner, user, django_user_model, resource_options
):
    django_user_model.objects.create_user(username="bob", email="bob@example.com", password="x")
    created = partner.client("bob@example.com").post(WIDGETS, {"name": "Bob's"}, format="json")
    url = widget_url(created.json()["id"])
    client = partner.client()
    assert client.get(url).status_code == 403

    resource_options("widgets", PERMISSION_CLASSES=[])

    assert client.get(url).status_code == 200


def test_pagination_class_is_read_at_request_time(partner, memo, delegation):
    client = partner.client()
    client.post(NOTES, {"text": "second"}, format="json")
    assert [note["text"] for note in client.get(NOTES).json()["results"]] == ["memo", "second"]

    delegation(RESOURCE_PAGINATION_CLASS="rest_framework.pagination.LimitOffsetPagination")

    body = client.get(f"{NOTES}?limit=1").json()
    assert body["count"] == 2
    assert [note["text"] for note in body["results"]] == ["memo"]
    assert body["next"].endswith("/external-api/v1.0/notes/?limit=1&offset=1")


# -- options that shape routes are read when the URLconf is built ------------------------------


def test_actions_removed_answer_405_once_the_urls_are_rebuilt(
    partner, lamp, resource_options, rebuild_urls
):
    client = partner.client()

    resource_options("widgets", ACTIONS=["list", "retrieve", "create"])
    rebuild_urls()

    response = client.delete(widget_url(lamp))
    assert response.status_code == 405
    assert Widget.objects.filter(pk=lamp.pk).exists()
    assert client.patch(widget_url(lamp), {"name": "x"}, format="json").status_code == 405
    assert client.get(widget_url(lamp)).status_code == 200


def test_405_allow_header_lists_the_methods_of_the_allowed_actions(
    partner, lamp, resource_options, rebuild_urls
):
    client = partner.client()

    resource_options("widgets", ACTIONS=["list", "retrieve", "create"])
    rebuild_urls()

    response = client.delete(widget_url(lamp))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_actions_added_are_served_once_the_urls_are_rebuilt(
    make_application, user, vocabulary, resource_options, rebuild_urls
):
    vocabulary("notes:update")
    partner = Partner.register(make_application, "Editor", [*NOTE_SCOPES, "notes:update"])
    client = partner.client()
    note_id = client.post(NOTES, {"text": "draft"}, format="json").json()["id"]

    resource_options("notes", ACTIONS=["list", "retrieve", "create", "update", "partial_update"])
    rebuild_urls()

    response = client.put(note_url(note_id), {"text": "final"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": note_id, "text": "final"}
    assert client.patch(note_url(note_id), {"text": "v2"}, format="json").status_code == 200
    assert Note.objects.get().text == "v2"


def test_lookup_field_is_matched_by_the_detail_route_once_the_urls_are_rebuilt(
    partner, memo, resource_options, rebuild_urls
):
    resource_options("notes", LOOKUP_FIELD="text")
    rebuild_urls()

    response = partner.client().get(f"{NOTES}memo/")

    assert response.status_code == 200
    assert response.json() == {"id": memo.pk, "text": "memo"}


def routed_actions(url):
    """The actions routed at ``url`` by method (without HEAD, which DRF adds to GET on use)."""
    return {
        method: action for method, action in resolve(url).func.actions.items() if method != "head"
    }


def test_each_resource_is_served_by_its_own_viewset_routing_only_its_actions():
    notes = resolve(NOTES).func.cls
    widgets = resolve(widget_url(uuid.uuid4())).func.cls

    assert (notes.__name__, notes.resource_name) == ("NotesViewSet", "notes")
    assert (widgets.__name__, widgets.resource_name) == ("WidgetsViewSet", "widgets")
    assert issubclass(notes, ResourceViewSet)
    assert routed_actions(NOTES) == {"get": "list", "post": "create"}
    assert routed_actions(note_url(1)) == {"get": "retrieve"}
    assert routed_actions(widget_url(uuid.uuid4())) == DETAIL_ACTIONS


def test_a_route_without_any_allowed_action_is_left_out(resource_options, rebuild_urls):
    resource_options("notes", ACTIONS=["list"])
    rebuild_urls()

    assert routed_actions(NOTES) == {"get": "list"}
    with pytest.raises(Resolver404):
        resolve(note_url(1))


def test_an_action_removed_without_rebuilding_the_urls_is_refused_by_its_missing_scope(
    partner, lamp, resource_options
):
    client = partner.client()

    resource_options("widgets", ACTIONS=["list", "retrieve", "create"])

    response = client.delete(widget_url(lamp))
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope"'
    assert Widget.objects.filter(pk=lamp.pk).exists()
