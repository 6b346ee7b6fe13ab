"""Two server processes (``runserver``) counting in one Redis share the limits and the lockout.

Needs the local Redis (``REDIS_URL``, default ``redis://127.0.0.1:6379/15``): skipped without it,
except under CI. The servers run ``tests.multiprocess_settings`` on a SQLite file of their own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.helpers import TOKEN_URL, require_redis

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited: {process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no server on port {port} after {START_TIMEOUT} s")


class Servers:
    """The environment of the two servers, their URLs, and a manage.py runner."""

    def __init__(self, tmp: Path) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.multiprocess_settings",
            "DELEGATION_TEST_DATABASE": str(tmp / "db.sqlite3"),
            "DELEGATION_TEST_KEY_PREFIX": f"processes-{uuid.uuid4().hex}",
            "PYTHONPATH": str(REPO),
        }
        self.urls: list[str] = []
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str) -> str:
        command = [sys.executable, "-m", "django", *args]
        result = subprocess.run(
            command, env=self.env, cwd=REPO, capture_output=True, text=True, check=True
        )
        return result.stdout

    def start(self) -> None:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
                env=self.env,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            self.processes.append(process)
            wait_for(port, process)
            self.urls.append(f"http://127.0.0.1:{port}")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()

    def create_application(self, name: str) -> dict[str, str]:
        output = self.manage(
            "create_application", "--name", name, "--scope", "rooms:list", "--domain",
            "example.com", "--json",
        )  # fmt: skip
        return json.loads(output)

    def token_status(self, server: int, credentials: dict[str, str], secret: str | None = None):
        body = json.dumps(
            {
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"],
                "client_secret": secret or credentials["client_secret"],
                "scope": "alice@example.com",
            }
        ).encode()
        request = urllib.request.Request(
            self.urls[server] + TOKEN_URL,
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    require_redis()
    servers = Servers(tmp_path_factory.mktemp("processes"))
    servers.manage("migrate", "--noinput", "-v", "0")
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


def test_two_server_processes_share_an_applications_token_limit(servers):
    credentials = servers.create_application("Busy partner")

    statuses = [servers.token_status(index % 2, credentials) for index in range(4)]

    assert statuses == [200, 200, 200, 429]  # 3/day, served by the first, second, first server
    assert servers.token_status(1, credentials) == 429


def test_two_server_processes_share_the_lockout(servers):
    credentials = servers.create_application("Attacked partner")

    failures = [servers.token_status(index % 2, credentials, "wrong") for index in range(3)]
    locked = [servers.token_status(index, credentials) for index in (1, 0)]

    assert failures == [401, 401, 401]
    assert locked == [429, 429]
