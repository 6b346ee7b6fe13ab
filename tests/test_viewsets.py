"""The resource viewset configured from ``APP_DELEGATION["RESOURCES"]``: scopes per action,
allowed actions, CRUD on the test resources, object rules, settings read at request time and the
options that shape routes, read when the URLconf is built.

Provenance and ``OBJECT_VISIBILITY`` are specified in ``test_viewset_provenance.py``, pagination in
``test_viewset_pagination.py``, query budgets and the index in ``test_viewset_queries.py``,
subclasses in ``test_viewset_subclasses.py``, the system checks in ``test_viewset_checks.py`` and
concurrent writes in real concurrent transactions in ``test_viewset_concurrency.py``.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from django_app_delegation.models import ResourceProvenance
from django_app_delegation.urls import DETAIL_ACTIONS
from django_app_delegation.viewsets import ResourceViewSet
from tests.doubles import recording_update
from tests.helpers import (
    NOTE_SCOPES,
    NOTES,
    WIDGET_SCOPES,
    WIDGETS,
    assert_insufficient_scope,
    client_for,
    create_note,
    create_widget,
    note_url,
    widget_url,
)
from tests.testapp.models import Note, Widget

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp(partner, user):
    """A widget created through the API by ``partner`` for alice."""
    return create_widget(partner, "Lamp")


@pytest.fixture
def memo(partner, user):
    """A note created through the API by ``partner`` for alice."""
    return create_note(partner, "memo")


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
EACH_WIDGET_ACTION = pytest.mark.parametrize(
    ("action", "method", "detail", "body", "status", "scope"),
    WIDGET_ACTIONS,
    ids=[case[0] for case in WIDGET_ACTIONS],
)
NOTE_ACTIONS = [
    ("list", "get", False, None, 200, "notes:list"),
    ("retrieve", "get", True, None, 200, "notes:retrieve"),
    ("create", "post", False, {"text": "draft"}, 201, "notes:create"),
]


def call(client, method, url, body):
    return (
        getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    )


@EACH_WIDGET_ACTION
def test_widget_action_without_its_scope_is_refused_with_insufficient_scope(
    partner, lamp, action, method, detail, body, status, scope
):
    client = client_for(partner, scopes=[s for s in WIDGET_SCOPES if s != scope])

    response = call(client, method, widget_url(lamp) if detail else WIDGETS, body)

    assert_insufficient_scope(response, scope)
    assert list(Widget.objects.values_list("name", flat=True)) == ["Lamp"]


@EACH_WIDGET_ACTION
def test_widget_action_succeeds_with_only_its_scope(
    partner, lamp, action, method, detail, body, status, scope
):
    client = client_for(partner, scopes=[scope])

    response = call(client, method, widget_url(lamp) if detail else WIDGETS, body)

    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("action", "method", "detail", "body", "status", "scope"),
    NOTE_ACTIONS,
    ids=[case[0] for case in NOTE_ACTIONS],
)
def test_note_action_needs_its_scope(partner, memo, action, method, detail, body, status, scope):
    url = note_url(memo) if detail else NOTES
    without = client_for(partner, scopes=[s for s in NOTE_SCOPES if s != scope])
    only = client_for(partner, scopes=[scope])

    refused = call(without, method, url, body)
    allowed = call(only, method, url, body)

    assert_insufficient_scope(refused, scope)
    assert allowed.status_code == status, allowed.content


def test_scope_is_checked_before_the_object_is_looked_up(partner, user):
    client = client_for(partner, scopes=["widgets:list"])

    response = client.get(widget_url(uuid.uuid4()))

    assert_insufficient_scope(response, "widgets:retrieve")


def test_scopes_of_another_resource_do_not_open_this_one(partner, user):
    client = client_for(partner, scopes=NOTE_SCOPES)

    response = client.get(WIDGETS)

    assert_insufficient_scope(response, "widgets:list")


def test_action_scopes_option_overrides_the_scope_an_action_needs(
    make_application, user, vocabulary, resource_options
):
    vocabulary("widgets:read")
    resource_options("widgets", ACTION_SCOPES={"list": "widgets:read", "retrieve": "widgets:read"})
    reader = make_application(name="Reader", scopes=[*WIDGET_SCOPES, "widgets:read"])

    with_default_scope = client_for(reader, scopes=["widgets:list", "widgets:retrieve"])
    with_override = client_for(reader, scopes=["widgets:read"])

    assert_insufficient_scope(with_default_scope.get(WIDGETS), "widgets:read")
    assert with_override.get(WIDGETS).status_code == 200
    assert with_override.get(widget_url(uuid.uuid4())).status_code == 404
    # Actions the override leaves out keep their default scope.
    created = with_override.post(WIDGETS, {"name": "Desk"}, format="json")
    assert_insufficient_scope(created, "widgets:create")


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
EACH_DISALLOWED_NOTE_ACTION = pytest.mark.parametrize(
    ("method", "body"), DISALLOWED_NOTE_ACTIONS, ids=["put", "patch", "delete"]
)


@EACH_DISALLOWED_NOTE_ACTION
def test_actions_outside_actions_answer_405_once_authenticated(partner, memo, method, body):
    client = client_for(partner)

    response = call(client, method, note_url(memo), body)

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
    # OPTIONS (DRF's "metadata" action) is not served, so it is not advertised either.
    assert response["Allow"] == "GET, HEAD"
    assert Note.objects.get().text == "memo"


@EACH_DISALLOWED_NOTE_ACTION
def test_actions_outside_actions_answer_405_whatever_the_scopes(partner, memo, method, body):
    client = client_for(partner, scopes=["notes:list"])

    response = call(client, method, note_url(memo), body)

    assert response.status_code == 405


@EACH_DISALLOWED_NOTE_ACTION
def test_actions_outside_actions_answer_401_without_credentials(memo, method, body):
    response = call(APIClient(), method, note_url(memo), body)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert Note.objects.get().text == "memo"


def test_options_is_neither_served_nor_advertised(partner, user):
    """DRF's "metadata" action is not routed (La Suite Meet answers 403 "Required scope: None")."""
    response = client_for(partner).options(WIDGETS)

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "OPTIONS" not allowed.'}
    allow = [method.strip() for method in response["Allow"].split(",")]
    assert "OPTIONS" not in allow


def test_options_without_credentials_is_401(user):
    response = APIClient().options(WIDGETS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("method", "detail"), [("put", False), ("delete", False), ("post", True)])
def test_a_method_no_action_takes_on_a_route_answers_405(partner, lamp, method, detail):
    url = widget_url(lamp) if detail else WIDGETS

    response = getattr(client_for(partner), method)(url, {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
    assert list(Widget.objects.values_list("name", flat=True)) == ["Lamp"]


# -- CRUD on the widgets (custom hooks) --------------------------------------------------------


def test_create_answers_201_with_the_serialized_object_and_runs_the_create_hook(partner, user):
    response = client_for(partner).post(WIDGETS, {"name": "Lamp"}, format="json")

    assert response.status_code == 201
    widget = Widget.objects.get()
    assert response.json() == {"id": str(widget.pk), "name": "Lamp"}
    assert list(widget.members.all()) == [user]


def test_create_with_invalid_data_answers_400_and_creates_nothing(partner, user):
    response = client_for(partner).post(WIDGETS, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    assert not Widget.objects.exists()


def test_list_answers_the_callers_widgets_ordered_by_the_model(partner, user):
    client = client_for(partner)
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
    response = client_for(partner).get(widget_url(lamp))

    assert response.status_code == 200
    assert response.json() == {"id": str(lamp.pk), "name": "Lamp"}


def test_update_replaces_the_widget(partner, lamp):
    response = client_for(partner).put(widget_url(lamp), {"name": "Desk lamp"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": str(lamp.pk), "name": "Desk lamp"}
    lamp.refresh_from_db()
    assert lamp.name == "Desk lamp"


def test_update_validates_like_create(partner, lamp):
    response = client_for(partner).put(widget_url(lamp), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    lamp.refresh_from_db()
    assert lamp.name == "Lamp"


def test_partial_update_changes_the_fields_sent(partner, lamp):
    response = client_for(partner).patch(widget_url(lamp), {"name": "Floor lamp"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": str(lamp.pk), "name": "Floor lamp"}
    lamp.refresh_from_db()
    assert lamp.name == "Floor lamp"


def test_destroy_answers_204_and_deletes_the_widget(partner, lamp):
    response = client_for(partner).delete(widget_url(lamp))

    assert response.status_code == 204
    assert response.content == b""
    assert not Widget.objects.exists()


def test_a_deleted_widget_is_gone_for_its_creator(partner, lamp):
    client = client_for(partner)
    client.delete(widget_url(lamp))

    assert client.get(widget_url(lamp)).status_code == 404
    assert client.get(WIDGETS).json()["results"] == []


# -- update and destroy hooks ------------------------------------------------------------------


def test_perform_update_hook_saves_the_change(partner, lamp, resource_options):
    updates = []
    resource_options("widgets", PERFORM_UPDATE=recording_update(updates))

    response = client_for(partner).patch(widget_url(lamp), {"name": "Desk lamp"}, format="json")

    assert response.status_code == 200
    assert Widget.objects.get().name == "Desk lamp"
    assert updates == [("widgets", "alice@example.com", "Desk lamp")]


def test_perform_destroy_hook_can_refuse_and_nothing_is_deleted(partner, lamp, resource_options):
    resource_options("widgets", PERFORM_DESTROY="tests.doubles.refuse_destroy")

    response = client_for(partner).delete(widget_url(lamp))

    assert response.status_code == 403
    assert response.json() == {"detail": "This widget must be kept."}
    assert Widget.objects.count() == 1
    assert ResourceProvenance.objects.count() == 1  # Rolled back with the refusal.


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


@pytest.mark.parametrize(
    ("model", "url", "body"),
    [(Widget, WIDGETS, {"name": "Desk"}), (Note, NOTES, {"text": "final"})],
    ids=["widgets", "notes"],
)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_an_object_deleted_between_lookup_and_write_is_404_and_not_written_back(
    editor, user, model, url, body, method
):
    client = client_for(editor)
    pk = client.post(url, body, format="json").json()["id"]
    data = {} if method == "delete" else {"data": body}
    concurrent_delete = DeleteAfterLookup(model, pk)

    with (
        CaptureQueriesContext(connection) as queries,
        connection.execute_wrapper(concurrent_delete),
    ):
        response = getattr(client, method)(f"{url}{pk}/", format="json", **data)

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


def test_a_widget_the_user_is_not_a_member_of_is_403_on_every_detail_action(partner, user, bob):
    created = client_for(partner, "bob@example.com").post(WIDGETS, {"name": "Bob's"}, format="json")
    url = widget_url(created.json()["id"])
    client = client_for(partner)  # alice, through the application that created bob's widget

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


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_an_unknown_widget_id_is_404(partner, user, method):
    response = getattr(client_for(partner), method)(widget_url(uuid.uuid4()), format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Widget matches the given query."}


@pytest.mark.parametrize("lookup", ["not-a-uuid", "123", "%20"])
def test_a_lookup_that_is_not_a_uuid_is_404(partner, user, lookup):
    client = client_for(partner)

    response = client.get(f"{WIDGETS}{lookup}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert client.patch(f"{WIDGETS}{lookup}/", {"name": "x"}, format="json").status_code == 404
    assert client.delete(f"{WIDGETS}{lookup}/").status_code == 404


def test_integer_keyed_notes_are_retrieved_by_their_id(partner, memo):
    response = client_for(partner).get(note_url(memo))

    assert response.status_code == 200
    assert response.json() == {"id": memo.pk, "text": "memo"}


@pytest.mark.parametrize("lookup", ["abc", "1.5", "999999"])
def test_a_note_lookup_that_matches_nothing_is_404(partner, memo, lookup):
    response = client_for(partner).get(f"{NOTES}{lookup}/")

    assert response.status_code == 404


# -- settings are read at request time ---------------------------------------------------------


def test_serializer_class_is_read_at_request_time(partner, memo, resource_options):
    client = client_for(partner)
    assert client.get(note_url(memo)).json() == {"id": memo.pk, "text": "memo"}

    resource_options("notes", SERIALIZER_CLASS="tests.doubles.NoteWithLengthSerializer")

    assert client.get(note_url(memo)).json() == {"id": memo.pk, "text": "memo", "length": 4}
    created = client.post(NOTES, {"text": "hello"}, format="json")
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "text": "hello", "length": 5}


def test_permission_classes_are_read_at_request_time(partner, user, bob, resource_options):
    created = client_for(partner, "bob@example.com").post(WIDGETS, {"name": "Bob's"}, format="json")
    url = widget_url(created.json()["id"])
    client = client_for(partner)
    assert client.get(url).status_code == 403

    resource_options("widgets", PERMISSION_CLASSES=[])

    assert client.get(url).status_code == 200


# -- options that shape routes are read when the URLconf is built ------------------------------


def test_actions_removed_answer_405_listing_the_allowed_methods_once_the_urls_are_rebuilt(
    partner, lamp, resource_options, rebuild_urls
):
    client = client_for(partner)

    resource_options("widgets", ACTIONS=["list", "retrieve", "create"])
    rebuild_urls()

    response = client.delete(widget_url(lamp))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert Widget.objects.filter(pk=lamp.pk).exists()
    assert client.patch(widget_url(lamp), {"name": "x"}, format="json").status_code == 405
    assert client.get(widget_url(lamp)).status_code == 200


def test_actions_added_are_served_once_the_urls_are_rebuilt(
    make_application, user, vocabulary, resource_options, rebuild_urls
):
    vocabulary("notes:update")
    client = client_for(make_application(name="Editor", scopes=[*NOTE_SCOPES, "notes:update"]))
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

    response = client_for(partner).get(f"{NOTES}memo/")

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


def test_detail_routes_name_the_primary_key_id():
    match = resolve(widget_url("00000000-0000-0000-0000-000000000000"))

    assert match.kwargs == {"id": "00000000-0000-0000-0000-000000000000"}


def test_a_route_without_any_allowed_action_is_left_out(resource_options, rebuild_urls):
    resource_options("notes", ACTIONS=["list"])
    rebuild_urls()

    assert routed_actions(NOTES) == {"get": "list"}
    with pytest.raises(Resolver404):
        resolve(note_url(1))


def test_an_action_removed_without_rebuilding_the_urls_is_refused_by_its_missing_scope(
    partner, lamp, resource_options
):
    client = client_for(partner)

    resource_options("widgets", ACTIONS=["list", "retrieve", "create"])

    response = client.delete(widget_url(lamp))
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope"'
    assert Widget.objects.filter(pk=lamp.pk).exists()
