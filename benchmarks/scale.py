"""Lists and token issuance at scale: 100k rooms, 10k users, 1k applications, with EXPLAIN plans.

Run from the repository root (``make bench`` runs it with the defaults)::

    python benchmarks/scale.py             # 1k, 10k, 100k rooms; 1k then 10k users
    python benchmarks/scale.py --smoke     # 200 and 2,000 rooms, 100 then 1,000 users

It recreates the PostgreSQL database ``bench_scale``, migrates it with ``benchmarks/project`` and
fills it with bulk inserts: applications (one of them, the caller, with a known secret), users,
rooms and their provenance records, as the resource API would have written them. A typical user
has 10 rooms and a heavy user 1,000, all created by the caller; the other rooms belong to other
users and applications. In this process (Django's test client, the whole stack but gunicorn) it
times:

- token issuance (``POST`` to the token endpoint) at the smaller, then the larger user count;
- the first page of the room list for the typical and the heavy user, in both
  ``OBJECT_VISIBILITY`` modes (``application`` and ``user``), at each room count.

For one request of each, it runs ``EXPLAIN (ANALYZE, BUFFERS)`` on every query that reads the
room or the user table, keeps the plans, and flags a sequential scan of the host table
(``bench_room``, ``bench_user``). p50 over ``--requests`` requests. Raw figures and plans go to
``benchmarks/results/raw/scale.json``. No time is asserted; exit status 0 unless it cannot run.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

FORM = "application/x-www-form-urlencoded"
TYPICAL, HEAVY = "typical@example.com", "heavy@example.com"
TYPICAL_ROOMS, HEAVY_ROOMS = 10, 1_000
HOST_TABLES = ("bench_room", "bench_user")
BATCH = 5_000


def seq_scans(plan: str, tables: tuple[str, ...] = HOST_TABLES) -> list[str]:
    """The host tables a plan reads by sequential scan (``Seq Scan on <table>``)."""
    found = re.findall(r"Seq Scan on (\w+)", plan)
    return sorted({table for table in found if table in tables})


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class Scale:
    """The database being filled, and the measurements made on it."""

    def __init__(self, requests: int) -> None:
        from django.test import Client

        self.requests = requests
        self.client = Client()
        self.user_count = 0
        self.room_count = 0
        self.user_ids: list[int] = []
        self.application_ids: list[uuid.UUID] = []

    # -- filling -------------------------------------------------------------------------------

    def create_applications(self, count: int) -> None:
        from django_app_delegation.models import Application, ApplicationDomain

        caller, secret = Application.objects.create_application(
            name="scale caller",
            scopes=["rooms:list", "rooms:retrieve", "rooms:create"],
            domains=["example.com"],
        )
        self.caller, self.secret = caller, secret
        others = [
            Application(
                name=f"scale application {index}",
                client_id=f"scale-application-{index:05d}",
                client_secret=caller.client_secret,
                scopes=["rooms:list"],
            )
            for index in range(1, count)
        ]
        Application.objects.bulk_create(others, batch_size=BATCH)
        ApplicationDomain.objects.bulk_create(
            [ApplicationDomain(application=app, domain="example.com") for app in others],
            batch_size=BATCH,
        )
        self.application_ids = [caller.pk, *(app.pk for app in others)]

    def add_users(self, total: int) -> None:
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if not self.user_ids:
            for email in (TYPICAL, HEAVY):
                user_model.objects.create_user(username=email, email=email)
            self.user_count = 2
        users = [
            user_model(
                username=f"user{index:06d}",
                email=f"User{index:06d}@Example.com",
                password="!",  # unusable
            )
            for index in range(self.user_count, total)
        ]
        user_model.objects.bulk_create(users, batch_size=BATCH)
        self.user_count = max(total, self.user_count)
        self.user_ids = list(user_model.objects.order_by("pk").values_list("pk", flat=True))
        self.typical_id = user_model.objects.get(email=TYPICAL).pk
        self.heavy_id = user_model.objects.get(email=HEAVY).pk
        self.analyze()

    def add_rooms(self, total: int) -> None:
        """Add rooms (and provenance) up to ``total``; the first call gives the typical and the
        heavy user their rooms, all created by the caller."""
        from django.contrib.contenttypes.models import ContentType

        from benchmarks.project.bench.models import Room
        from django_app_delegation.models import ResourceProvenance

        content_type = ContentType.objects.get_for_model(Room)
        owners: list[tuple[int, uuid.UUID]] = []
        if self.room_count == 0:
            owners += [(self.typical_id, self.caller.pk)] * TYPICAL_ROOMS
            owners += [(self.heavy_id, self.caller.pk)] * HEAVY_ROOMS
        others = [pk for pk in self.user_ids if pk not in (self.typical_id, self.heavy_id)]
        start = self.room_count + len(owners)
        for index in range(start, max(total, start)):
            owners.append(
                (
                    others[index % len(others)],
                    self.application_ids[(index * 7) % len(self.application_ids)],
                )
            )
        for offset in range(0, len(owners), BATCH):
            chunk = owners[offset : offset + BATCH]
            rooms = [
                Room(
                    id=uuid.uuid4(),
                    name=f"Room {self.room_count + offset + position:07d}",
                    slug=f"room-{self.room_count + offset + position:07d}",
                )
                for position in range(len(chunk))
            ]
            Room.objects.bulk_create(rooms)
            ResourceProvenance.objects.bulk_create(
                [
                    ResourceProvenance(
                        application_id=application_id,
                        audience=self.audience(application_id),
                        user_id=user_id,
                        content_type=content_type,
                        object_id=str(room.pk),
                    )
                    for room, (user_id, application_id) in zip(rooms, chunk, strict=True)
                ]
            )
        self.room_count += len(owners)
        self.analyze()

    def audience(self, application_id: uuid.UUID) -> str:
        if application_id == self.caller.pk:
            return str(self.caller.client_id)
        index = self.application_ids.index(application_id)
        return f"scale-application-{index:05d}"

    def analyze(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # -- measuring -------------------------------------------------------------------------------

    def token_request(self, email: str) -> Any:
        return self.client.post(
            "/delegation/application/token/",
            urlencode({"grant_type": "client_credentials", "scope": email}),
            content_type=FORM,
            headers={"authorization": basic(self.caller.client_id, self.secret)},
        )

    def token(self, email: str) -> str:
        reply = self.token_request(email)
        if reply.status_code != 200:
            raise SystemExit(f"token for {email}: {reply.status_code} {reply.content[:300]!r}")
        return str(reply.json()["access_token"])

    def timed(self, send: Any, expected: int) -> dict[str, Any]:
        """p50 (and min) of ``self.requests`` calls of ``send``, after two warm-up calls;
        the queries of one more call, with the plans of those reading a host table."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for _ in range(2):
            send()
        durations = []
        for _ in range(self.requests):
            started = time.perf_counter()
            reply = send()
            durations.append((time.perf_counter() - started) * 1000)
            if reply.status_code != expected:
                raise SystemExit(f"answered {reply.status_code}: {reply.content[:300]!r}")
        with CaptureQueriesContext(connection) as captured:
            send()
        plans = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or not any(
                f'"{table}"' in sql for table in HOST_TABLES
            ):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append({"sql": sql, "plan": plan, "seq_scans": seq_scans(plan)})
        return {
            "p50_ms": statistics.median(durations),
            "min_ms": min(durations),
            "queries": len(captured.captured_queries),
            "plans": plans,
            "seq_scans": sorted({table for plan in plans for table in plan["seq_scans"]}),
        }

    def measure_tokens(self) -> dict[str, Any]:
        harness.log(f"  token issuance at {self.user_count:,} users")
        result = self.timed(lambda: self.token_request(TYPICAL), 200)
        result["users"] = self.user_count
        return result

    def measure_lists(self) -> list[dict[str, Any]]:
        from django.conf import settings
        from django.test import override_settings

        tokens = {"typical": self.token(TYPICAL), "heavy": self.token(HEAVY)}
        results = []
        for mode in ("application", "user"):
            options = {**settings.APP_DELEGATION, "OBJECT_VISIBILITY": mode}
            with override_settings(APP_DELEGATION=options):
                for who, token in tokens.items():
                    harness.log(f"  list at {self.room_count:,} rooms, {mode} mode, {who} user")

                    def send(token: str = token) -> Any:
                        return self.client.get(
                            "/delegation/rooms/", headers={"authorization": f"Bearer {token}"}
                        )

                    reply = send()
                    expected = TYPICAL_ROOMS if who == "typical" else HEAVY_ROOMS
                    if reply.status_code != 200 or reply.json()["count"] != expected:
                        raise SystemExit(f"list for {who}: {reply.status_code} {reply.content!r}")
                    result = self.timed(send, 200)
                    result.update(rooms=self.room_count, mode=mode, user=who)
                    results.append(result)
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_scale", help="PostgreSQL database (bench*)")
    parser.add_argument("--rooms", default="1000,10000,100000", help="room counts, increasing")
    parser.add_argument("--users", default="1000,10000", help="user counts, increasing")
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--smoke", action="store_true", help="small counts, few requests")
    parser.add_argument("--output", default="scale", help="name of the raw results file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rooms, args.users, args.applications, args.requests = "200,2000", "100,1000", 10, 3
    room_counts = [int(value) for value in args.rooms.split(",")]
    user_counts = [int(value) for value in args.users.split(",")]
    db_url = harness.database_url(args.database)
    machine = harness.machine_details(db_url)
    harness.log(f"setting up {db_url} ...")
    harness.recreate_database(db_url)
    harness.setup_django(db_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    scale = Scale(args.requests)
    scale.create_applications(args.applications)
    tokens = []
    for count in user_counts:
        scale.add_users(count)
        tokens.append(scale.measure_tokens())
    lists = []
    for count in room_counts:
        fill = time.monotonic()
        scale.add_rooms(count)
        harness.log(f"  {scale.room_count:,} rooms in {time.monotonic() - fill:.1f} s")
        lists.extend(scale.measure_lists())
    results = {
        "machine": machine,
        "started": harness.now(),
        "settings": {
            "rooms": room_counts,
            "users": user_counts,
            "applications": args.applications,
            "requests": args.requests,
            "smoke": args.smoke,
        },
        "tokens": tokens,
        "lists": lists,
        "elapsed_s": time.monotonic() - started,
        "load_average_at_end": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }
    path = harness.write_raw(args.output, results)
    print_summary(results)
    harness.log(f"raw results: {path.relative_to(harness.REPO)}")
    return 0


def print_summary(results: dict[str, Any]) -> None:
    print(
        harness.markdown_table(
            ["users", "token p50 ms", "queries", "sequential scans of host tables"],
            [
                [
                    f"{t['users']:,}",
                    harness.fmt(t["p50_ms"]),
                    t["queries"],
                    ", ".join(t["seq_scans"]) or "none",
                ]
                for t in results["tokens"]
            ],
            "rrrl",
        )
    )
    print()
    print(
        harness.markdown_table(
            ["rooms", "mode", "user", "list p50 ms", "queries", "sequential scans of host tables"],
            [
                [
                    f"{r['rooms']:,}",
                    r["mode"],
                    r["user"],
                    harness.fmt(r["p50_ms"]),
                    r["queries"],
                    ", ".join(r["seq_scans"]) or "none",
                ]
                for r in results["lists"]
            ],
            "rllrrl",
        )
    )


if __name__ == "__main__":
    sys.exit(main())
