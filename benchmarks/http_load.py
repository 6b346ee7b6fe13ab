"""HTTP load comparison: our token endpoint against django-oauth-toolkit's, and API call overhead.

Run from the repository root::

    python benchmarks/http_load.py            # --requests 300 --slow-requests 60 by default

It migrates a fresh SQLite database in a temporary directory, creates a user, one of our
applications and a django-oauth-toolkit application (confidential, client credentials, secret
hashed with Django's default PBKDF2 hasher), starts gunicorn (2 sync workers) on 127.0.0.1 with
``benchmarks/project``, drives every endpoint with a few client threads in interleaved rounds,
prints requests/s and p50/p95 latency per endpoint and the ratios, and stops gunicorn whatever
happens. Everything stays on the loopback interface and is bounded by ``--time-limit``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SETTINGS_MODULE = "benchmarks.project.settings"
WSGI_APP = "benchmarks.project.wsgi:application"
USER_EMAIL = "bench.user@example.com"
OUR_TOKEN_PATH = "/delegation/application/token/"
DOT_TOKEN_PATH = "/o/token/"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    expected_status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    #: Bound by PBKDF2 (django-oauth-toolkit's secret check): run --slow-requests of them.
    slow: bool = False
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    unexpected: dict[int | str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return len(self.latencies) + sum(self.unexpected.values())


def basic(client_id: str, client_secret: str) -> str:
    """Return an HTTP Basic header value, form-url-encoding both parts (RFC 6749 §2.3.1)."""
    raw = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"Connection": "close", **headers})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# -- set-up -----------------------------------------------------------------------------------


def set_up_database(db_path: Path) -> dict[str, str]:
    """Migrate a fresh database and create the user and both applications; return credentials."""
    os.environ["BENCHMARK_DB_PATH"] = str(db_path)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from oauth2_provider.generators import generate_client_secret as dot_generate_secret
    from oauth2_provider.models import get_application_model

    from django_app_delegation.models import Application

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(username="bench", email=USER_EMAIL)
    ours, our_secret = Application.objects.create_application(
        name="benchmark (ours)", scopes=["bench:read"], domains=["example.com"]
    )
    dot_model = get_application_model()
    dot_secret = dot_generate_secret()
    dot = dot_model.objects.create(
        name="benchmark (django-oauth-toolkit)",
        user=user,
        client_type=dot_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=dot_model.GRANT_CLIENT_CREDENTIALS,
        client_secret=dot_secret,
    )
    dot.refresh_from_db()
    if not dot.client_secret.startswith("pbkdf2_sha256$"):
        raise SystemExit(f"DOT secret is not PBKDF2-hashed: {dot.client_secret.split('$')[0]}")
    pbkdf2_iterations = dot.client_secret.split("$")[1]
    ours.refresh_from_db()
    our_algorithm = ours.client_secret.split("$")[0]
    connections.close_all()
    return {
        "our_client_id": ours.client_id,
        "our_secret": our_secret,
        "our_algorithm": our_algorithm,
        "dot_client_id": dot.client_id,
        "dot_secret": dot_secret,
        "pbkdf2_iterations": pbkdf2_iterations,
        "django": django.get_version(),
    }


def start_gunicorn(port: int, db_path: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BENCHMARK_DB_PATH": str(db_path),
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APP,
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(REPO),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env=env, cwd=REPO)


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # SIGTERM to the master: graceful shutdown of its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def wait_until_up(process: subprocess.Popen[bytes], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {process.returncode}")
        try:
            status, _body = request(port, "GET", "/api/noop/", {}, None)
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return
        raise SystemExit(f"GET /api/noop/ answered {status}")
    raise SystemExit(f"gunicorn did not answer on 127.0.0.1:{port} within {timeout:g} s")


def build_endpoints(port: int, credentials: dict[str, str]) -> list[Endpoint]:
    our_body = urlencode({"grant_type": "client_credentials", "scope": USER_EMAIL}).encode()
    dot_body = urlencode({"grant_type": "client_credentials"}).encode()
    our_id, our_secret = credentials["our_client_id"], credentials["our_secret"]
    dot_id, dot_secret = credentials["dot_client_id"], credentials["dot_secret"]
    unknown_id = secrets.token_urlsafe(30)

    status, body = request(
        port,
        "POST",
        OUR_TOKEN_PATH,
        {"Content-Type": FORM, "Authorization": basic(our_id, our_secret)},
        our_body,
    )
    if status != 200:
        raise SystemExit(f"our token endpoint answered {status}: {body[:300]!r}")
    access_token = json.loads(body)["access_token"]
    status, body = request(
        port,
        "POST",
        DOT_TOKEN_PATH,
        {"Content-Type": FORM, "Authorization": basic(dot_id, dot_secret)},
        dot_body,
    )
    if status != 200:
        raise SystemExit(f"django-oauth-toolkit's token endpoint answered {status}: {body[:300]!r}")

    def token(name: str, path: str, client_id: str, secret: str, body: bytes, expected: int):
        headers = {"Content-Type": FORM, "Authorization": basic(client_id, secret)}
        return Endpoint(name, "POST", path, expected, headers, body, slow=path == DOT_TOKEN_PATH)

    wrong_ours = secrets.token_urlsafe(48)
    wrong_dot = secrets.token_urlsafe(len(dot_secret) * 3 // 4)[: len(dot_secret)]
    return [
        Endpoint("no-op DRF view", "GET", "/api/noop/", 200),
        Endpoint(
            "API call, our Bearer token",
            "GET",
            "/api/protected/",
            200,
            {"Authorization": f"Bearer {access_token}"},
        ),
        token("token: ours", OUR_TOKEN_PATH, our_id, our_secret, our_body, 200),
        token("token: ours, wrong secret", OUR_TOKEN_PATH, our_id, wrong_ours, our_body, 401),
        token("token: ours, unknown client", OUR_TOKEN_PATH, unknown_id, our_secret, our_body, 401),
        token("token: DOT", DOT_TOKEN_PATH, dot_id, dot_secret, dot_body, 200),
        token("token: DOT, wrong secret", DOT_TOKEN_PATH, dot_id, wrong_dot, dot_body, 401),
        token("token: DOT, unknown client", DOT_TOKEN_PATH, unknown_id, dot_secret, dot_body, 401),
    ]


# -- load -------------------------------------------------------------------------------------


def run_batch(
    pool: ThreadPoolExecutor,
    port: int,
    endpoint: Endpoint,
    count: int,
    concurrency: int,
    deadline: float,
    stop: threading.Event,
) -> None:
    """Send ``count`` requests to ``endpoint`` from ``concurrency`` threads; record the results."""
    lock = threading.Lock()
    shares = [count // concurrency + (i < count % concurrency) for i in range(concurrency)]

    def worker(share: int) -> None:
        for _ in range(share):
            if stop.is_set() or time.monotonic() > deadline:
                return
            started = time.perf_counter()
            try:
                status, _body = request(
                    port, endpoint.method, endpoint.path, endpoint.headers, endpoint.body
                )
            except OSError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - started
            with lock:
                if status == endpoint.expected_status:
                    endpoint.latencies.append(elapsed)
                else:
                    endpoint.unexpected[status] = endpoint.unexpected.get(status, 0) + 1

    started = time.perf_counter()
    futures = [pool.submit(worker, share) for share in shares if share]
    wait(futures)
    for future in futures:
        future.result()
    endpoint.wall += time.perf_counter() - started


def drive(
    port: int,
    endpoints: list[Endpoint],
    *,
    requests: int,
    slow_requests: int,
    rounds: int,
    concurrency: int,
    time_limit: float,
) -> bool:
    """Run the endpoints in interleaved rounds (rotating order); return False on timeout."""
    deadline = time.monotonic() + time_limit
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        try:
            for index in range(rounds):
                shift = index % len(endpoints)
                for endpoint in endpoints[shift:] + endpoints[:shift]:
                    total = slow_requests if endpoint.slow else requests
                    count = total // rounds + (index < total % rounds)
                    run_batch(pool, port, endpoint, count, concurrency, deadline, stop)
                    if time.monotonic() > deadline:
                        return False
                print(f"  round {index + 1}/{rounds} done", file=sys.stderr, flush=True)
        finally:
            stop.set()
    return True


# -- report -----------------------------------------------------------------------------------


@dataclass
class Summary:
    count: int
    rps: float
    p50_ms: float
    p95_ms: float


def summarize(endpoint: Endpoint) -> Summary:
    latencies = sorted(endpoint.latencies)
    if not latencies:
        return Summary(0, 0.0, float("nan"), float("nan"))
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    return Summary(
        len(latencies),
        endpoint.done / endpoint.wall if endpoint.wall else 0.0,
        statistics.median(latencies) * 1000,
        p95 * 1000,
    )


def report(endpoints: list[Endpoint], credentials: dict[str, str], args: argparse.Namespace) -> int:
    import gunicorn
    import oauth2_provider
    import rest_framework

    print()
    print(
        f"Python {platform.python_version()}, Django {credentials['django']}, "
        f"DRF {rest_framework.VERSION}, django-oauth-toolkit {oauth2_provider.__version__}, "
        f"gunicorn {gunicorn.__version__}; {os.cpu_count()} CPUs ({platform.machine()})"
    )
    print(
        f"gunicorn: {args.workers} sync workers on 127.0.0.1; client: {args.concurrency} threads, "
        f"new connection per request, {args.rounds} interleaved rounds; SQLite (WAL)"
    )
    print(
        f"secrets: ours {credentials['our_algorithm']}; "
        f"DOT pbkdf2_sha256 with {int(credentials['pbkdf2_iterations']):,} iterations"
    )
    print()
    print(f"{'endpoint':<30} {'requests':>8} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9}  unexpected")
    summaries: dict[str, Summary] = {}
    failed = False
    for endpoint in endpoints:
        summary = summaries[endpoint.name] = summarize(endpoint)
        unexpected = ", ".join(f"{key}: {value}" for key, value in endpoint.unexpected.items())
        failed = failed or bool(endpoint.unexpected)
        print(
            f"{endpoint.name:<30} {summary.count:>8} {summary.rps:>9.1f} "
            f"{summary.p50_ms:>9.2f} {summary.p95_ms:>9.2f}  {unexpected or '-'}"
        )
    print()

    def ratio(label: str, numerator: float, denominator: float, fmt: str = ".2f") -> None:
        value = numerator / denominator if denominator else float("nan")
        print(f"{label:<58} {value:{fmt}}")

    s = summaries
    noop, api = s["no-op DRF view"], s["API call, our Bearer token"]
    ours, dot = s["token: ours"], s["token: DOT"]
    ours_wrong, dot_wrong = s["token: ours, wrong secret"], s["token: DOT, wrong secret"]
    ours_unknown, dot_unknown = s["token: ours, unknown client"], s["token: DOT, unknown client"]
    ratio("token throughput, ours / DOT (req/s)", ours.rps, dot.rps, ".1f")
    ratio("token p50 latency, DOT / ours", dot.p50_ms, ours.p50_ms, ".1f")
    ratio("wrong-secret throughput, ours / DOT (req/s)", ours_wrong.rps, dot_wrong.rps, ".1f")
    ratio("token throughput, ours / no-op (req/s)", ours.rps, noop.rps)
    ratio("token p50 latency, ours / no-op", ours.p50_ms, noop.p50_ms)
    ratio("authenticated API call throughput / no-op (req/s)", api.rps, noop.rps)
    ratio("authenticated API call p50 latency / no-op", api.p50_ms, noop.p50_ms)
    print(
        f"{'authenticated API call p50 overhead over no-op (ms)':<58} "
        f"{api.p50_ms - noop.p50_ms:.2f}"
    )
    ratio("ours p50, wrong secret / unknown client", ours_wrong.p50_ms, ours_unknown.p50_ms)
    ratio("DOT p50, wrong secret / unknown client", dot_wrong.p50_ms, dot_unknown.p50_ms, ".1f")
    if failed:
        print("\nFAIL: some requests got an unexpected status (see the table)")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=300, help="requests per endpoint (default 300)"
    )
    parser.add_argument(
        "--slow-requests",
        type=int,
        default=60,
        help="requests per django-oauth-toolkit token endpoint, PBKDF2-bound (default 60)",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=600,
        help="stop sending requests after this many seconds (default 600)",
    )
    args = parser.parse_args(argv)
    if min(args.requests, args.slow_requests, args.concurrency, args.workers, args.rounds) < 1:
        parser.error("counts must be positive")

    # SIGINT (even when inherited as ignored, as in a background job) and SIGTERM (from a CI
    # runner, say) unwind like Ctrl-C, so that gunicorn is stopped below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="app-delegation-bench-") as tmp:
        db_path = Path(tmp) / "db.sqlite3"
        print("Setting up the database ...", file=sys.stderr, flush=True)
        credentials = set_up_database(db_path)
        port = free_port()
        print(f"Starting gunicorn on 127.0.0.1:{port} ...", file=sys.stderr, flush=True)
        process = start_gunicorn(port, db_path, args.workers)
        try:
            wait_until_up(process, port)
            endpoints = build_endpoints(port, credentials)
            print("Driving the endpoints ...", file=sys.stderr, flush=True)
            completed = drive(
                port,
                endpoints,
                requests=args.requests,
                slow_requests=args.slow_requests,
                rounds=args.rounds,
                concurrency=args.concurrency,
                time_limit=args.time_limit,
            )
        except KeyboardInterrupt:
            print("\nInterrupted; stopping gunicorn.", file=sys.stderr)
            return 130
        finally:
            stop_gunicorn(process)
    status = report(endpoints, credentials, args)
    if not completed:
        print(f"\nINCOMPLETE: --time-limit {args.time_limit:g} s reached; figures are partial")
        return status or 2
    return status


if __name__ == "__main__":
    sys.exit(main())
