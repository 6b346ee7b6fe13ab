"""Where a token's time goes: our token endpoint with the audit trail in the database, on
``"logging"`` and off, against the peers' fast paths, in one process.

Run from the repository root (``make bench`` runs it with the defaults)::

    python benchmarks/token_paths.py            # 5 rounds of 300 requests per case
    python benchmarks/token_paths.py --smoke    # 1 round of 20

``endpoints.py`` runs one configuration per gunicorn server, so it cannot show what the default
audit trail (one ``INSERT`` per token) costs. This script recreates the PostgreSQL database
``bench_paths`` with the same set-up as ``endpoints.py`` and, with Django's test client (the whole
stack but the WSGI server), times in interleaved rounds: our token endpoint as configured
(``AUDIT_DESTINATIONS`` with ``"database"``), the same with ``("logging",)`` (the benchmark
project logs errors only, so the records are dropped: the floor of a log pipeline), the same with
the trail off, django-oauth-toolkit with ``hash_client_secret=False``, Meet's view with an MD5
secret and a DRF no-op POST. It reports the median wall time and process CPU per request, and the
peers' time over ours per round (above 1: we are faster), median and range. Raw figures:
``benchmarks/results/raw/token_paths.json``. No time is asserted; exit status 0 unless it cannot
run or a request fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import endpoints
import harness

#: (key, label, endpoint of ``endpoints.build_requests``, AUDIT_DESTINATIONS or None).
CASES = [
    ("ours", "token: ours, audit trail in the database (default)", "token_ours", None),
    ("ours_logging", "token: ours, audit trail on logging", "token_ours", ("logging",)),
    ("ours_off", "token: ours, audit trail off", "token_ours", ()),
    ("dot_plain", "token: django-oauth-toolkit, hash_client_secret=False", "token_dot_plain", None),
    ("meet_fast", "token: Meet view, fast secret (MD5)", "token_meet_fast", None),
    ("noop", "DRF no-op POST", "noop", None),
]
PEERS = ("dot_plain", "meet_fast", "noop")
OURS = ("ours", "ours_logging", "ours_off")


def time_case(client: Any, request: harness.Request, status: int, count: int) -> dict[str, float]:
    """Send ``request`` ``count`` times; milliseconds of wall time and process CPU per request."""
    extra = {}
    if "Authorization" in request.headers:
        extra["HTTP_AUTHORIZATION"] = request.headers["Authorization"]
    content_type = request.headers.get("Content-Type", "application/octet-stream")
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        response = client.generic(
            request.method, request.path, request.body, content_type=content_type, **extra
        )
        if response.status_code != status:
            answer = f"{response.status_code}: {response.content[:300]!r}"
            raise SystemExit(f"{request.path} answered {answer}")
    return {
        "wall_ms": (time.perf_counter() - wall) * 1000 / count,
        "cpu_ms": (time.process_time() - cpu) * 1000 / count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_paths", help="PostgreSQL database (bench*)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="per case and round")
    parser.add_argument("--smoke", action="store_true", help="1 round of 20 requests")
    parser.add_argument("--output", default="token_paths", help="name of the raw results file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.requests = 1, 20
    db_url = harness.database_url(args.database)
    machine = harness.machine_details(db_url)
    harness.log(f"setting up {db_url} ...")
    setup = endpoints.set_up(db_url)
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    requests = endpoints.build_requests(setup)
    client = Client()
    rounds: list[dict[str, dict[str, float]]] = []
    for index in range(args.rounds):
        figures: dict[str, dict[str, float]] = {}
        shift = index % len(CASES)
        for key, _label, endpoint, destinations in CASES[shift:] + CASES[:shift]:
            request, status = requests[endpoint]
            time_case(client, request, status, max(args.requests // 10, 1))  # warm up
            if destinations is None:
                figures[key] = time_case(client, request, status, args.requests)
                continue
            configured = {**settings.APP_DELEGATION, "AUDIT_DESTINATIONS": destinations}
            with override_settings(APP_DELEGATION=configured):
                figures[key] = time_case(client, request, status, args.requests)
        rounds.append(figures)
        harness.log(
            f"round {index + 1}/{args.rounds}: "
            + ", ".join(f"{key} {value['wall_ms']:.3f} ms" for key, value in figures.items())
        )
    labels = {key: label for key, label, _endpoint, _destinations in CASES}
    summary = {
        key: {
            metric: statistics.median(figures[key][metric] for figures in rounds)
            for metric in ("wall_ms", "cpu_ms")
        }
        for key in labels
    }
    ratios = {}
    for ours in OURS:
        for peer in PEERS:
            values = [figures[peer]["wall_ms"] / figures[ours]["wall_ms"] for figures in rounds]
            ratios[f"{ours}/{peer}"] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
    rows = [
        [labels[key], harness.fmt(value["wall_ms"], 3), harness.fmt(value["cpu_ms"], 3)]
        for key, value in summary.items()
    ]
    print(harness.markdown_table(["in process", "wall ms/request", "CPU ms/request"], rows, "lrr"))
    print()
    rows = [
        [
            labels[ours],
            *(
                f"{ratios[f'{ours}/{peer}']['median']:.2f}× "
                f"({ratios[f'{ours}/{peer}']['min']:.2f}–{ratios[f'{ours}/{peer}']['max']:.2f})"
                for peer in PEERS
            ),
        ]
        for ours in OURS
    ]
    headers = ["peer's time / ours", *(labels[peer] for peer in PEERS)]
    print(harness.markdown_table(headers, rows, "lrrr"))
    path = harness.write_raw(
        args.output,
        {
            "machine": machine,
            "started": harness.now(),
            "settings": {k: v for k, v in vars(args).items() if k != "output"},
            "labels": labels,
            "rounds": rounds,
            "summary": summary,
            "ratios": ratios,
        },
    )
    harness.log(f"raw results: {path.relative_to(harness.REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
