"""Every endpoint and its peers over HTTP: gunicorn (sync, gthread) on PostgreSQL, wrk pinned.

Run from the repository root (``make bench`` runs it with the defaults)::

    python benchmarks/endpoints.py                 # 3 interleaved rounds of 4 s per endpoint
    python benchmarks/endpoints.py --smoke         # 1 round of 1 s: checks that everything runs

It recreates the PostgreSQL database ``bench_http`` and migrates it with ``benchmarks/project``,
creates a user, one application of ours, two django-oauth-toolkit applications (secret hashed
with PBKDF2, and ``hash_client_secret=False``), two Meet applications (PBKDF2 secret, salted
MD5 secret) and ten rooms created through the API. Then, for each gunicorn mode, it starts
gunicorn pinned to one core and runs wrk (one thread, pinned to the other core, through
``wrk/report.lua``) against every endpoint in turn, in interleaved rounds whose order rotates.
For each run: requests/s, p50 and p99 latency, gunicorn's CPU per request (master and workers,
from ``/proc/<pid>/stat`` before and after) and the errors (socket errors and non-2xx answers).
Ratios are paired per round and their medians reported. Raw figures go to
``benchmarks/results/raw/endpoints.json``; ``report.py`` writes the tables and the chart.

Exit status 1 if any request failed (an error or a non-2xx status). No time is asserted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

USER_EMAIL = "bench.user@example.com"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ROOM_COUNT = 10

#: (key, label): the endpoints in the order of the tables.
ENDPOINTS = [
    ("bare", "bare Django POST"),
    ("noop", "DRF no-op POST"),
    ("token_ours", "token: ours"),
    ("token_dot", "token: django-oauth-toolkit, hashed secret (PBKDF2)"),
    ("token_dot_plain", "token: django-oauth-toolkit, hash_client_secret=False"),
    ("token_meet", "token: Meet view, PBKDF2 secret"),
    ("token_meet_fast", "token: Meet view, fast secret (MD5)"),
    ("list_ours", "list: ours (authenticated)"),
    ("list_preset", "list: same view, authentication preset (no decode, no query)"),
    ("list_plain", "list: plain DRF viewset, no authentication, no visibility filter"),
    ("retrieve_ours", "retrieve: ours (authenticated)"),
    ("retrieve_preset", "retrieve: same view, authentication preset"),
    ("retrieve_plain", "retrieve: plain DRF viewset, no authentication, no visibility filter"),
    ("create_ours", "create: ours, with provenance"),
    ("create_noprov", "create: ours, without provenance"),
    ("create_plain", "create: same view, no authentication"),
]
LABELS = dict(ENDPOINTS)
#: Endpoints bound by PBKDF2 (hundreds of ms of CPU each).
SLOW = {"token_dot", "token_meet"}
CREATES = {"create_ours", "create_noprov", "create_plain"}

#: (key, label, numerator, denominator, metric, better): the ratios of issue 10's table.
#: ``rps`` ratios read "ours / peer" (higher is better); ``cpu_ms`` ratios "ours / baseline"
#: (the overhead: lower is better).
RATIOS = [
    (
        "vs_dot",
        "token issuance vs django-oauth-toolkit, default hashed secret (throughput)",
        "token_ours",
        "token_dot",
        "rps",
    ),
    (
        "vs_meet",
        "token issuance vs a Meet-configured view, PBKDF2 per request (throughput)",
        "token_ours",
        "token_meet",
        "rps",
    ),
    (
        "vs_dot_plain",
        "token issuance vs django-oauth-toolkit, hash_client_secret=False (throughput)",
        "token_ours",
        "token_dot_plain",
        "rps",
    ),
    (
        "vs_meet_fast",
        "token issuance vs Meet's view with a fast secret (throughput)",
        "token_ours",
        "token_meet_fast",
        "rps",
    ),
    ("vs_noop", "token issuance vs a DRF no-op POST (throughput)", "token_ours", "noop", "rps"),
    (
        "list_auth",
        "authenticated list / same view without auth (CPU per request)",
        "list_ours",
        "list_preset",
        "cpu_ms",
    ),
    (
        "retrieve_auth",
        "authenticated retrieve / without auth (CPU per request)",
        "retrieve_ours",
        "retrieve_preset",
        "cpu_ms",
    ),
    (
        "create_provenance",
        "create with provenance / without (CPU per request)",
        "create_ours",
        "create_noprov",
        "cpu_ms",
    ),
    (
        "create_auth",
        "create with provenance / no auth and no provenance (CPU per request)",
        "create_ours",
        "create_plain",
        "cpu_ms",
    ),
    (
        "list_auth_p50",
        "authenticated list / without auth (p50 latency)",
        "list_ours",
        "list_preset",
        "p50_ms",
    ),
    (
        "retrieve_auth_p50",
        "authenticated retrieve / without auth (p50 latency)",
        "retrieve_ours",
        "retrieve_preset",
        "p50_ms",
    ),
    (
        "create_provenance_p50",
        "create with provenance / without (p50 latency)",
        "create_ours",
        "create_noprov",
        "p50_ms",
    ),
]

MODES = {
    "sync": {"worker_class": "sync", "workers": 2, "threads": 1, "connections": 4},
    "gthread": {"worker_class": "gthread", "workers": 2, "threads": 4, "connections": 8},
}


def basic(client_id: str, client_secret: str) -> str:
    """An HTTP Basic header value, both parts form-url-encoded (RFC 6749 §2.3.1)."""
    raw = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


# -- set-up ------------------------------------------------------------------------------------


def set_up(db_url: str) -> dict[str, Any]:
    """Recreate and migrate the database; create the user, the applications and the rooms."""
    harness.recreate_database(db_url)
    harness.setup_django(db_url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client
    from oauth2_provider.generators import generate_client_secret as dot_secret
    from oauth2_provider.models import get_application_model

    from benchmarks.project.bench.models import MeetApplication, MeetApplicationDomain, Room
    from django_app_delegation.models import Application

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(username="bench", email=USER_EMAIL)
    scopes = ["rooms:list", "rooms:retrieve", "rooms:create"]
    ours, our_secret = Application.objects.create_application(
        name="benchmark (ours)", scopes=scopes, domains=["example.com"]
    )
    dot_model = get_application_model()
    dot_apps = {}
    for key, hashed in (("dot", True), ("dot_plain", False)):
        secret = dot_secret()
        app = dot_model.objects.create(
            name=f"benchmark ({key})",
            user=user,
            client_type=dot_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=dot_model.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=hashed,
        )
        app.refresh_from_db()
        stored = app.client_secret
        if hashed != stored.startswith("pbkdf2_sha256$"):
            raise SystemExit(f"django-oauth-toolkit {key}: unexpected stored secret form")
        dot_apps[key] = (app.client_id, secret)
    meet_apps = {}
    for key, hasher in (("meet", "pbkdf2_sha256"), ("meet_fast", "md5")):
        secret = dot_secret()
        app = MeetApplication.objects.create(
            name=f"benchmark ({key})",
            client_id=f"{key}-{ours.client_id}",
            client_secret=make_password(secret, hasher=hasher),
            scopes=scopes,
        )
        MeetApplicationDomain.objects.create(application=app, domain="example.com")
        meet_apps[key] = (app.client_id, secret)

    client = Client()
    reply = client.post(
        "/delegation/application/token/",
        urlencode({"grant_type": "client_credentials", "scope": USER_EMAIL}),
        content_type=FORM,
        headers={"authorization": basic(ours.client_id, our_secret)},
    )
    if reply.status_code != 200:
        raise SystemExit(
            f"our token endpoint answered {reply.status_code}: {reply.content[:300]!r}"
        )
    access_token = reply.json()["access_token"]
    for index in range(ROOM_COUNT):
        reply = client.post(
            "/delegation/rooms/",
            json.dumps({"name": f"Seed room {index:02d}"}),
            content_type=JSON,
            headers={"authorization": f"Bearer {access_token}"},
        )
        if reply.status_code != 201:
            raise SystemExit(f"creating a room answered {reply.status_code}: {reply.content!r}")
    room_id = str(Room.objects.order_by("name").first().pk)
    connections.close_all()
    pbkdf2 = dot_model.objects.get(client_id=dot_apps["dot"][0]).client_secret.split("$")[1]
    return {
        "ours": (ours.client_id, our_secret),
        **dot_apps,
        **meet_apps,
        "access_token": access_token,
        "room_id": room_id,
        "seed_rooms": [str(pk) for pk in Room.objects.values_list("pk", flat=True)],
        "pbkdf2_iterations": int(pbkdf2),
        "our_algorithm": Application.objects.get(pk=ours.pk).client_secret.split("$")[0],
    }


def build_requests(setup: dict[str, Any]) -> dict[str, tuple[harness.Request, int]]:
    """The request of every endpoint with the status it must answer."""
    form = {"Content-Type": FORM}
    bearer = {"Authorization": f"Bearer {setup['access_token']}"}
    our_body = urlencode({"grant_type": "client_credentials", "scope": USER_EMAIL})
    dot_body = urlencode({"grant_type": "client_credentials"})

    def basic_post(path: str, key: str, body: str) -> harness.Request:
        return harness.Request("POST", path, {**form, "Authorization": basic(*setup[key])}, body)

    def meet_post(path: str, key: str) -> harness.Request:
        client_id, secret = setup[key]
        body = urlencode(
            {
                "client_id": client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
                "scope": USER_EMAIL,
            }
        )
        return harness.Request("POST", path, form, body)

    room = setup["room_id"]
    create_body = json.dumps({"name": "Benchmark room", "access_level": "trusted"})
    json_bearer = {"Content-Type": JSON, **bearer}
    return {
        "bare": (harness.Request("POST", "/bare/", form, our_body), 200),
        "noop": (harness.Request("POST", "/drf/noop/", form, our_body), 200),
        "token_ours": (basic_post("/delegation/application/token/", "ours", our_body), 200),
        "token_dot": (basic_post("/dot/token/", "dot", dot_body), 200),
        "token_dot_plain": (basic_post("/dot-plain/token/", "dot_plain", dot_body), 200),
        "token_meet": (meet_post("/meet/token/", "meet"), 200),
        "token_meet_fast": (meet_post("/meet-fast/token/", "meet_fast"), 200),
        "list_ours": (harness.Request("GET", "/delegation/rooms/", bearer), 200),
        "list_preset": (harness.Request("GET", "/preset/rooms/", bearer), 200),
        "list_plain": (harness.Request("GET", "/plain/rooms/"), 200),
        "retrieve_ours": (harness.Request("GET", f"/delegation/rooms/{room}/", bearer), 200),
        "retrieve_preset": (harness.Request("GET", f"/preset/rooms/{room}/", bearer), 200),
        "retrieve_plain": (harness.Request("GET", f"/plain/rooms/{room}/"), 200),
        "create_ours": (
            harness.Request("POST", "/delegation/rooms/", json_bearer, create_body),
            201,
        ),
        "create_noprov": (harness.Request("POST", "/noprov/rooms/", json_bearer, create_body), 201),
        "create_plain": (
            harness.Request("POST", "/plain/rooms/", {"Content-Type": JSON}, create_body),
            201,
        ),
    }


def check_endpoints(base_url: str, requests: dict[str, tuple[harness.Request, int]]) -> None:
    """One request per endpoint: each must answer its status, else stop before measuring."""
    for key, (request, expected) in requests.items():
        reply = harness.http(
            base_url + request.path, request.method, request.body.encode() or None, request.headers
        )
        if reply.status != expected:
            raise SystemExit(
                f"{LABELS[key]}: {request.method} {request.path} answered {reply.status}, "
                f"expected {expected}: {reply.body[:300]!r}"
            )


def forget_created_rooms(seed_rooms: list[str]) -> None:
    """Delete the rooms the create runs added (and their provenance): lists stay the same size."""
    from benchmarks.project.bench.models import Room
    from django_app_delegation.models import ResourceProvenance

    Room.objects.exclude(pk__in=seed_rooms).delete()
    ResourceProvenance.objects.exclude(object_id__in=seed_rooms).delete()


# -- measurement -------------------------------------------------------------------------------


def measure(
    server: harness.Gunicorn,
    request: harness.Request,
    *,
    duration: float,
    connections: int,
) -> dict[str, Any]:
    """One wrk run, with gunicorn's CPU per request.

    The CPU is read when wrk stops; then the server is left to finish the requests still in
    flight (a PBKDF2 request outlives wrk by up to a second), so that the next run starts idle.
    """
    cpu_before = server.cpu_seconds()
    figures = harness.run_wrk(server.base_url, request, duration=duration, connections=connections)
    cpu = server.cpu_seconds() - cpu_before
    server.wait_until_idle()
    figures["cpu_ms"] = harness.ratio(cpu * 1000, figures["requests"])
    return figures


def run_mode(
    mode: str, setup: dict[str, Any], args: argparse.Namespace
) -> list[dict[str, dict[str, Any]]]:
    options = MODES[mode]
    requests = build_requests(setup)
    keys = [key for key, _label in ENDPOINTS if key in requests]
    rounds: list[dict[str, dict[str, Any]]] = []
    server = harness.Gunicorn(
        worker_class=options["worker_class"], workers=options["workers"], threads=options["threads"]
    )
    with server:
        check_endpoints(server.base_url, requests)
        forget_created_rooms(setup["seed_rooms"])
        for index in range(args.rounds):
            shift = (index * 5) % len(keys)
            figures: dict[str, dict[str, Any]] = {}
            for key in keys[shift:] + keys[:shift]:
                request, expected = requests[key]
                duration = args.slow_duration if key in SLOW else args.duration
                result = measure(
                    server, request, duration=duration, connections=options["connections"]
                )
                result["expected"] = expected
                unexpected = {
                    code: count
                    for code, count in result["statuses"].items()
                    if int(code) != expected
                }
                result["errors"] = sum(unexpected.values()) + sum(result["socket_errors"].values())
                figures[key] = result
                if key in CREATES:
                    forget_created_rooms(setup["seed_rooms"])
                harness.log(
                    f"  {mode} round {index + 1}/{args.rounds} {LABELS[key]}: "
                    f"{result['rps']:.1f} req/s, p50 {result['p50_ms']:.2f} ms, "
                    f"CPU {result['cpu_ms']:.2f} ms/req, errors {result['errors']}"
                )
            rounds.append(figures)
    return rounds


def summarize(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per endpoint: the median over rounds of each figure, and the errors summed."""
    summary: dict[str, dict[str, Any]] = {}
    for key, _label in ENDPOINTS:
        runs = [figures[key] for figures in rounds if key in figures]
        if not runs:
            continue
        summary[key] = {
            metric: statistics.median(run[metric] for run in runs)
            for metric in ("rps", "p50_ms", "p99_ms", "cpu_ms")
        }
        summary[key]["requests"] = sum(run["requests"] for run in runs)
        summary[key]["errors"] = sum(run["errors"] for run in runs)
    return summary


def ratios(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each ratio of ``RATIOS``: per round, then the median and the spread."""
    result = {}
    for key, label, numerator, denominator, metric in RATIOS:
        values = harness.paired_ratios(rounds, numerator, denominator, metric)
        low, high = harness.spread(values)
        result[key] = {
            "label": label,
            "per_round": values,
            "median": harness.median_of_ratios(values),
            "min": low,
            "max": high,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_http", help="PostgreSQL database (bench*)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4, help="seconds per endpoint per round")
    parser.add_argument("--slow-duration", type=float, default=6, help="the same, PBKDF2 peers")
    parser.add_argument("--modes", default="sync,gthread", help="gunicorn modes: sync,gthread")
    parser.add_argument("--smoke", action="store_true", help="1 round of 1 s: checks it all runs")
    parser.add_argument("--output", default="endpoints", help="name of the raw results file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.duration, args.slow_duration = 1, 1, 2
    harness.require_wrk()
    db_url = harness.database_url(args.database)
    machine = harness.machine_details(db_url)
    harness.log(f"setting up {db_url} ...")
    setup = set_up(db_url)
    results: dict[str, Any] = {
        "machine": machine,
        "started": harness.now(),
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "slow_duration_s": args.slow_duration,
            "smoke": args.smoke,
            "pbkdf2_iterations": setup["pbkdf2_iterations"],
            "our_secret_algorithm": setup["our_algorithm"],
        },
        "labels": LABELS,
        "modes": {},
    }
    for mode in args.modes.split(","):
        harness.log(f"gunicorn {mode}: {MODES[mode]}")
        rounds = run_mode(mode, setup, args)
        results["modes"][mode] = {
            "options": MODES[mode],
            "rounds": rounds,
            "summary": summarize(rounds),
            "ratios": ratios(rounds),
        }
    results["load_average_at_end"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    path = harness.write_raw(args.output, results)
    print_summary(results)
    harness.log(f"raw results: {path.relative_to(harness.REPO)}")
    errors = sum(
        figures["errors"]
        for mode in results["modes"].values()
        for figures in mode["summary"].values()
    )
    if errors:
        print(f"\nFAIL: {errors} requests failed (socket errors or unexpected statuses)")
        return 1
    return 0


def print_summary(results: dict[str, Any]) -> None:
    for mode, data in results["modes"].items():
        print(f"\n== gunicorn {mode} ({data['options']})")
        print(
            harness.markdown_table(
                ["endpoint", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "errors"],
                [
                    [
                        LABELS[key],
                        harness.fmt(s["rps"], 1),
                        harness.fmt(s["p50_ms"]),
                        harness.fmt(s["p99_ms"]),
                        harness.fmt(s["cpu_ms"]),
                        s["errors"],
                    ]
                    for key, s in data["summary"].items()
                ],
                "lrrrrr",
            )
        )
        print()
        for ratio in data["ratios"].values():
            print(
                f"{ratio['label']:<90} {harness.fmt(ratio['median'])} "
                f"({harness.fmt(ratio['min'])}–{harness.fmt(ratio['max'])})"
            )


if __name__ == "__main__":
    sys.exit(main())
