"""Authentication cost per request: the one-query join against the ORM fallback.

Run from the repository root::

    python benchmarks/authentication.py                      # SQLite in memory
    python benchmarks/authentication.py --database-url postgres://postgres@127.0.0.1:5432/bench

It creates a test database (``test_<name>`` on a server, dropped at the end), a plain
``auth.User``, an application and a token, then times
``DelegatedTokenAuthentication().authenticate(request)`` for one request carrying that token in
two cases, in interleaved rounds: as shipped (the user model reads like its default manager, so
one query joins the user and the application) and with the ORM fallback forced (two ORM queries),
by making the function that decides on the join answer no. It checks that each case makes the
number of queries it claims, prints the median µs per call and the ratio. No assertion on time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

#: Names the join decision has had in ``django_app_delegation.authentication``: the per-request
#: check first, then the cached per-model one it calls.
DECISION_NAMES = ("_join_is_equivalent", "_reads_like_default_manager")
SCOPE = "bench:read"


@dataclass
class Case:
    name: str
    expected_queries: int
    before: Callable[[], None]


def configure_django(database_url: str | None) -> None:
    if database_url:
        import dj_database_url

        database = dj_database_url.parse(database_url)
        if database["ENGINE"] == "django.db.backends.mysql":
            import pymysql

            pymysql.install_as_MySQLdb()
    else:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    settings.configure(
        SECRET_KEY="benchmarks-only",
        DEBUG=False,
        USE_TZ=True,
        DATABASES={"default": database},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "rest_framework",
            "django_app_delegation",
        ],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        APP_DELEGATION={
            "SIGNING_KEY": "benchmarks-signing-key-that-is-at-least-32-bytes-long",
            "ISSUER": "benchmarks",
            "AUDIENCE": "http://127.0.0.1/api/",
            "SCOPES": {SCOPE: "Read the benchmark resource"},
        },
    )
    django.setup()


def find_decision(auth_class: type) -> tuple[dict[str, Any], str]:
    """Return the namespace and name of the function that decides whether to use the join.

    Looked up where ``auth_class``'s methods look their globals up, so that replacing the name
    there changes what they call.
    """
    namespaces = [vars(sys.modules[auth_class.__module__])]
    for klass in auth_class.__mro__:
        for attribute in vars(klass).values():
            namespace = getattr(attribute, "__globals__", None)
            if namespace is not None and all(namespace is not known for known in namespaces):
                namespaces.append(namespace)
    for name in DECISION_NAMES:
        for namespace in namespaces:
            if callable(namespace.get(name)):
                return namespace, name
    raise LookupError(
        f"none of {', '.join(DECISION_NAMES)} found next to {auth_class.__qualname__}: "
        "update DECISION_NAMES in benchmarks/authentication.py"
    )


def measure(
    cases: list[Case], call: Callable[[], object], *, rounds: int, samples: int, number: int
) -> dict[str, list[float]]:
    """Time ``call`` under each case, ``samples`` x ``number`` calls per round; µs per call.

    The order of the cases rotates every round, so noise from other processes hits all alike.
    """
    timer = timeit.Timer(call)
    results: dict[str, list[float]] = {case.name: [] for case in cases}
    for case in cases:  # warm-up
        case.before()
        timer.timeit(max(1, number // 10))
    for round_index in range(rounds):
        shift = round_index % len(cases)
        for case in cases[shift:] + cases[:shift]:
            case.before()
            for _ in range(samples):
                results[case.name].append(timer.timeit(number) / number * 1e6)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a server database to measure on (its test_<name> copy); default: SQLite in memory",
    )
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument(
        "--samples", type=int, default=5, help="samples per case and round (default 5)"
    )
    parser.add_argument(
        "--number", type=int, default=200, help="authentications per sample (default 200)"
    )
    args = parser.parse_args(argv)

    configure_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from django_app_delegation.authentication import DelegatedTokenAuthentication
    from django_app_delegation.models import Application
    from django_app_delegation.tokens import issue_token

    namespace, name = find_decision(DelegatedTokenAuthentication)
    decide = namespace[name]
    forced = {"fallback": False}

    def switchable(*decision_args: Any, **decision_kwargs: Any) -> Any:
        # Both cases call through this wrapper, so neither pays for it alone.
        return False if forced["fallback"] else decide(*decision_args, **decision_kwargs)

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    namespace[name] = switchable
    try:
        user = get_user_model().objects.create_user(
            username="bench", email="bench.user@example.com", password=None
        )
        application, _secret = Application.objects.create_application(
            name="Bench", scopes=[SCOPE], domains=["example.com"]
        )
        token = issue_token(application=application, user=user, scopes=(SCOPE,)).access_token
        request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
        authentication = DelegatedTokenAuthentication()

        def authenticate() -> object:
            return authentication.authenticate(request)

        cases = [
            Case("join (as shipped)", 1, lambda: forced.update(fallback=False)),
            Case("ORM fallback (forced)", 2, lambda: forced.update(fallback=True)),
        ]
        queries: dict[str, int] = {}
        for case in cases:
            case.before()
            with CaptureQueriesContext(connection) as captured:
                result = authenticate()
            assert result is not None and result[0].pk == user.pk, result
            queries[case.name] = len(captured.captured_queries)
        if [queries[case.name] for case in cases] != [case.expected_queries for case in cases]:
            print(
                f"The cases did not take the paths they name (queries: {queries}); "
                f"patching {name} no longer switches the join: update this script.",
                file=sys.stderr,
            )
            return 2

        samples = measure(
            cases, authenticate, rounds=args.rounds, samples=args.samples, number=args.number
        )
        vendor = connection.vendor
    finally:
        namespace[name] = decide
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, {vendor}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(
        f"DelegatedTokenAuthentication().authenticate(request), auth.User; {args.rounds} "
        f"interleaved rounds x {args.samples} samples x {args.number} calls per case; "
        f"fallback forced by patching {name}"
    )
    print()
    print(f"{'case':<24} {'queries':>8} {'median µs':>12} {'min µs':>12} {'max µs':>12}")
    medians: dict[str, float] = {}
    for case in cases:
        values = samples[case.name]
        medians[case.name] = statistics.median(values)
        print(
            f"{case.name:<24} {queries[case.name]:>8} {medians[case.name]:>12,.1f} "
            f"{min(values):>12,.1f} {max(values):>12,.1f}"
        )
    print()
    join, fallback = (medians[case.name] for case in cases)
    print(f"ORM fallback / join: {fallback / join:.2f}x ({fallback - join:+,.1f} µs per request)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
