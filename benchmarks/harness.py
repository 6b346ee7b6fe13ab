"""What the benchmark scripts share: gunicorn, wrk, /proc, PostgreSQL, statistics, Markdown.

The pure functions (``parse_wrk``, ``percentile``, ``paired_ratios``, ``median_of_ratios``,
``markdown_table``, ``cpu_ticks_of``) are tested in ``benchmarks/tests``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
RESULTS = BENCHMARKS / "results"
RAW = RESULTS / "raw"
WRK_SCRIPTS = BENCHMARKS / "wrk"
SETTINGS_MODULE = "benchmarks.project.settings"
WSGI_APP = "benchmarks.project.wsgi:application"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
#: The core wrk runs on, and the one gunicorn (master and workers) runs on.
CLIENT_CORE, SERVER_CORE = 0, 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WRK_MARKER = "WRK_RESULT "


# -- statistics (pure) ---------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (0..1) of ``values`` by linear interpolation; NaN if empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when either is missing or the denominator is zero."""
    if not denominator or numerator != numerator or denominator != denominator:
        return float("nan")
    return numerator / denominator


def paired_ratios(
    rounds: Sequence[Mapping[str, Mapping[str, float]]],
    numerator: str,
    denominator: str,
    metric: str,
) -> list[float]:
    """One ratio per round: ``metric`` of endpoint ``numerator`` over that of ``denominator``.

    Each round maps an endpoint name to its figures; a round missing either endpoint is skipped.
    """
    values = []
    for figures in rounds:
        if numerator in figures and denominator in figures:
            value = ratio(figures[numerator][metric], figures[denominator][metric])
            if value == value:
                values.append(value)
    return values


def median_of_ratios(values: Sequence[float]) -> float:
    """The median of per-round ratios (NaN if there are none)."""
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> tuple[float, float]:
    """(min, max) of ``values``, NaNs if empty."""
    return (min(values), max(values)) if values else (float("nan"), float("nan"))


# -- wrk output (pure) ---------------------------------------------------------------------------


def parse_wrk(output: str) -> dict[str, Any]:
    """Read the result line that ``wrk/report.lua`` prints at the end of a run.

    Returns ``requests``, ``duration_s``, ``rps``, ``p50_ms``, ``p99_ms``, ``statuses`` (status
    code as text to count), ``socket_errors`` (connect, read, write, timeout) and ``errors``:
    socket errors plus responses whose status is not ``2xx``.
    """
    for line in reversed(output.splitlines()):
        if line.startswith(WRK_MARKER):
            raw = json.loads(line[len(WRK_MARKER) :])
            break
    else:
        raise ValueError("no wrk result line in the output (was wrk run with report.lua?)")
    statuses = {str(code): int(count) for code, count in (raw.get("statuses") or {}).items()}
    socket_errors = {key: int(raw["errors"].get(key, 0)) for key in SOCKET_ERRORS}
    not_2xx = sum(count for code, count in statuses.items() if not code.startswith("2"))
    duration = raw["duration_us"] / 1e6
    return {
        "requests": int(raw["requests"]),
        "duration_s": duration,
        "rps": ratio(raw["requests"], duration),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "statuses": statuses,
        "socket_errors": socket_errors,
        "errors": not_2xx + sum(socket_errors.values()),
    }


SOCKET_ERRORS = ("connect", "read", "write", "timeout")


# -- /proc ---------------------------------------------------------------------------------------


def cpu_ticks_of(stat_line: str) -> int:
    """utime + stime (clock ticks) from a ``/proc/<pid>/stat`` line (the name may hold spaces)."""
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    # After the name: state(0) ppid(1) ... utime(11) stime(12).
    return int(fields[11]) + int(fields[12])


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads' children)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                found.extend(int(child) for child in text.split())
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user + system) used so far by ``pids``, in seconds; vanished pids count 0."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            ticks += cpu_ticks_of(Path(f"/proc/{pid}/stat").read_text())
    return ticks / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (NaN if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# -- machine ---------------------------------------------------------------------------------


def machine_details(database_url: str | None = None) -> dict[str, str]:
    """CPU model, cores, kernel, load, and the versions of everything the figures depend on."""
    details: dict[str, str] = {}
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    details["CPU"] = cpu
    details["cores"] = str(os.cpu_count())
    details["kernel"] = platform.release()
    details["load average (1, 5, 15 min) at start"] = " ".join(
        f"{value:.2f}" for value in os.getloadavg()
    )
    details["Python"] = platform.python_version()
    for label, module in (
        ("Django", "django"),
        ("DRF", "rest_framework"),
        ("PyJWT", "jwt"),
        ("django-oauth-toolkit", "oauth2_provider"),
        ("gunicorn", "gunicorn"),
        ("psycopg", "psycopg"),
    ):
        try:
            imported = __import__(module)
            version = getattr(imported, "__version__", None) or getattr(imported, "VERSION", "")
            if label == "Django":
                version = imported.get_version()
            details[label] = str(version)
        except ImportError:
            details[label] = "not installed"
    details["PostgreSQL"] = postgres_version(database_url or f"{DEFAULT_POSTGRES}/postgres")
    details["wrk"] = wrk_version()
    return details


def postgres_version(database_url: str) -> str:
    try:
        with postgres_connection(database_url) as connection:
            return str(connection.execute("SHOW server_version").fetchone()[0])
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"


def wrk_version() -> str:
    binary = shutil.which("wrk")
    if not binary:
        return "not installed"
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).split("[")[0].replace("wrk", "").strip() or "unknown"


def require_wrk() -> str:
    binary = shutil.which("wrk")
    if not binary:
        raise SystemExit(
            "wrk is missing: `make bench` installs it (Debian package wrk); "
            "or run 'sudo apt-get install wrk'."
        )
    return binary


# -- PostgreSQL --------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_connection(database_url: str) -> Iterator[Any]:
    import psycopg

    parts = urlsplit(database_url)
    connection = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    )
    try:
        yield connection
    finally:
        connection.close()


def recreate_database(database_url: str) -> None:
    """Drop and create the database named in ``database_url`` (names must start with bench)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"bench[a-z0-9_]*", name):
        raise SystemExit(f"refusing to recreate {name!r}: benchmark databases are named bench*")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with postgres_connection(admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_url(name: str) -> str:
    base = os.environ.get("BENCH_POSTGRES", DEFAULT_POSTGRES).rstrip("/")
    return f"{base}/{name}"


def setup_django(db_url: str, **environment: str) -> None:
    """Configure Django in this process with the benchmark project on ``db_url``."""
    os.environ["BENCH_DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.update(environment)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


# -- HTTP ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """One request; any status is an answer (not an exception); socket errors raise OSError."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type", ""), error.read())


# -- gunicorn --------------------------------------------------------------------------------


@dataclass
class Gunicorn:
    """gunicorn serving the benchmark project on 127.0.0.1, pinned to ``SERVER_CORE``."""

    worker_class: str = "sync"
    workers: int = 2
    threads: int = 1
    environment: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    #: Where gunicorn's output goes (error tracebacks during an outage, say); None: inherited.
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            **self.environment,
        }
        command = [
            *taskset(SERVER_CORE),
            sys.executable,
            "-m",
            "gunicorn",
            WSGI_APP,
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(REPO),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        output = None
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            output = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT if output else None
        )
        if output is not None:
            output.close()
        self.wait_until_up()
        return self

    def wait_until_up(self, timeout: float = 60) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {self.process.returncode}")
            try:
                reply = http(f"{self.base_url}/bare/", "POST", b"", timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            if reply.status == 200 and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer on {self.base_url} within {timeout:g} s")

    def wait_until_idle(self, timeout: float = 10, step: float = 0.1) -> None:
        """Return once the master and workers use no CPU for ``step`` seconds (or at timeout)."""
        deadline = time.monotonic() + timeout
        previous = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(step)
            current = self.cpu_seconds()
            if current == previous:
                return
            previous = current

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def pids(self) -> list[int]:
        """The master and its workers."""
        return [self.process.pid, *self.worker_pids()] if self.process else []

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # graceful shutdown of the master and its workers
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def taskset(core: int) -> list[str]:
    """``taskset -c <core>`` when there are two cores or more and taskset exists; else nothing."""
    if (os.cpu_count() or 1) > 1 and shutil.which("taskset"):
        return ["taskset", "-c", str(core)]
    return []


# -- wrk -------------------------------------------------------------------------------------


@dataclass
class Request:
    """What wrk sends: method, path, headers, body (the same request every time)."""

    method: str = "GET"
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def environment(self) -> dict[str, str]:
        return {
            "WRK_METHOD": self.method,
            "WRK_BODY": self.body,
            "WRK_HEADERS": "\n".join(f"{name}: {value}" for name, value in self.headers.items()),
        }


def run_wrk(
    base_url: str,
    request: Request,
    *,
    duration: float,
    connections: int,
    script: str = "report.lua",
    timeout: float = 10,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run wrk (one thread, pinned to ``CLIENT_CORE``) and return ``parse_wrk``'s figures."""
    command = [
        *taskset(CLIENT_CORE),
        require_wrk(),
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(duration))}s",
        "--timeout",
        f"{timeout:g}s",
        "--latency",
        "--script",
        str(WRK_SCRIPTS / script),
        base_url + request.path,
    ]
    env = {**os.environ, **request.environment(), **(environment or {})}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip()[:500]}")
    return parse_wrk(result.stdout)


# -- background sampling -----------------------------------------------------------------------


class Sampler(threading.Thread):
    """Call ``sample()`` every ``interval`` seconds until stopped; keep (elapsed, value) pairs."""

    def __init__(self, sample: Callable[[], Any], interval: float) -> None:
        super().__init__(daemon=True)
        self.sample, self.interval = sample, interval
        self.values: list[tuple[float, Any]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self._stop_event.is_set():
            self.values.append((time.monotonic() - started, self.sample()))
            self._stop_event.wait(self.interval)

    def stop(self) -> list[tuple[float, Any]]:
        self._stop_event.set()
        self.join(timeout=self.interval + 5)
        return self.values


# -- Markdown and raw results --------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A GitHub Markdown table; ``align`` holds one of ``l``/``r`` per column (default left)."""
    align = align or "l" * len(headers)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value: float, digits: int = 2, suffix: str = "") -> str:
    """A figure with thousands separators, or an en dash when it is missing."""
    if value is None or value != value:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def write_raw(name: str, data: Mapping[str, Any]) -> Path:
    RAW.mkdir(parents=True, exist_ok=True)
    path = RAW / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def read_raw(name: str) -> dict[str, Any] | None:
    path = RAW / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def now() -> str:
    """The time, UTC, to the second."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
