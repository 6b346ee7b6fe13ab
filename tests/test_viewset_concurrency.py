"""Concurrent writes on one object through the resource viewset, in real concurrent transactions:
simultaneous deletes answer one 204 and 404s, and an update racing a delete never brings the
deleted row back (without its owner or provenance).

Each request runs in its own thread with its own database connection. The races are forced, not
hoped for: every request pauses right after its first read of the object's table (its lookup)
until the others have read too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from django_app_delegation.models import ResourceProvenance
from tests.helpers import NOTES, WIDGETS, bearer, client_for, token_for
from tests.testapp.models import Note, Widget

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="needs concurrent transactions and row locks (PostgreSQL, MariaDB)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
WAIT = 30  # seconds any thread waits for another before the test fails
RESOURCES = {
    # name: model, list URL, a change for PATCH
    "widgets": (Widget, WIDGETS, {"name": "Renamed"}),
    "notes": (Note, NOTES, {"text": "renamed"}),
}


@pytest.fixture
def make_object(editor, user):
    """Create an object of a resource through the API (``editor``'s routes serve every action of
    both resources); returns its model, pk and detail URL."""

    def make(resource: str) -> tuple[Any, Any, str]:
        model, url, _change = RESOURCES[resource]
        body = {"name": "Lamp"} if model is Widget else {"text": "memo"}
        response = client_for(editor).post(url, body, format="json")
        assert response.status_code == 201, response.content
        pk = response.json()["id"]
        return model, pk, f"{url}{pk}/"

    return make


@pytest.fixture
def clients(editor, user):
    """``THREADS`` API clients of ``editor`` sending one token, answering 500s instead of raising
    them."""
    token = token_for(editor)
    made = [APIClient(raise_request_exception=False) for _ in range(THREADS)]
    for client in made:
        client.credentials(**bearer(token))
    return made


class PauseAfterRead:
    """An execute wrapper that calls ``pause`` once, right after the first read of ``table``."""

    def __init__(self, table: str, pause: Callable[[], None]) -> None:
        self.table = table
        self.pause = pause
        self.paused = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not self.paused and sql.lstrip().upper().startswith("SELECT") and self.table in sql:
            self.paused = True
            self.pause()
        return result


def send(client: APIClient, method: str, url: str, *, model: Any, pause: Any, **kwargs: Any):
    """Send one request from this thread, pausing it right after it has read the object."""
    with connection.execute_wrapper(PauseAfterRead(model._meta.db_table, pause)):
        return getattr(client, method)(url, format="json", **kwargs)


def run_concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (and database connection); return their results."""
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def assert_gone(model: Any, pk: Any) -> None:
    """Neither the object nor any provenance record is left."""
    assert not model.objects.filter(pk=pk).exists()
    assert not ResourceProvenance.objects.exists()


@pytest.mark.parametrize("resource", RESOURCES)
def test_simultaneous_deletes_of_one_object_answer_one_204_and_404s(make_object, clients, resource):
    model, pk, url = make_object(resource)
    everyone_read = threading.Barrier(THREADS)

    def pause() -> None:
        everyone_read.wait(timeout=WAIT)

    responses = run_concurrently(
        *[
            lambda client=client: send(client, "delete", url, model=model, pause=pause)
            for client in clients
        ]
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {204: 1, 404: THREADS - 1}, [r.content[:200] for r in responses]
    assert_gone(model, pk)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize(
    ("first", "expected"),
    [("delete", {"patch": 404, "delete": 204}), ("update", {"patch": 200, "delete": 204})],
    ids=["delete-commits-first", "update-commits-first"],
)
def test_an_update_racing_a_delete_never_resurrects_the_object(
    make_object, clients, resource, first, expected
):
    model, pk, url = make_object(resource)
    change = RESOURCES[resource][2]
    both_read = threading.Barrier(2)
    first_done = threading.Event()

    # Both requests read the object; then one runs to its end before the other goes on.
    def pause_first() -> None:
        both_read.wait(timeout=WAIT)

    def pause_second() -> None:
        both_read.wait(timeout=WAIT)
        assert first_done.wait(timeout=WAIT)

    def request(method: str) -> Any:
        leads = (method == "delete") == (first == "delete")
        try:
            return send(
                clients[0 if method == "patch" else 1],
                method,
                url,
                model=model,
                pause=pause_first if leads else pause_second,
                **({"data": change} if method == "patch" else {}),
            )
        finally:
            if leads:
                first_done.set()

    patched, deleted = run_concurrently(lambda: request("patch"), lambda: request("delete"))

    assert {"patch": patched.status_code, "delete": deleted.status_code} == expected, (
        patched.content[:200],
        deleted.content[:200],
    )
    assert_gone(model, pk)


@pytest.mark.parametrize("resource", RESOURCES)
def test_updates_and_deletes_racing_freely_never_fail_nor_leave_an_orphan(
    make_object, clients, resource
):
    change = RESOURCES[resource][2]
    for _round in range(5):
        model, pk, url = make_object(resource)
        started = threading.Barrier(2)

        def start(started: threading.Barrier = started) -> None:
            started.wait(timeout=WAIT)

        def patch(url: str = url) -> Any:
            start()
            return clients[0].patch(url, change, format="json")

        def delete(url: str = url) -> Any:
            start()
            return clients[1].delete(url)

        patched, deleted = run_concurrently(patch, delete)

        assert deleted.status_code == 204, deleted.content[:200]
        assert patched.status_code in (200, 404), patched.content[:200]
        assert_gone(model, pk)
