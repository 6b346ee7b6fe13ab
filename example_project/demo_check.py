#!/usr/bin/env python3
"""Run the whole delegation flow against a running example server; exit 1 on any surprise.

    python example_project/demo_check.py            # against the server `make demo` started
    python example_project/demo_check.py --serve    # start a throwaway server first (CI)

Credentials come from ``DEMO_CLIENT_ID``/``DEMO_CLIENT_SECRET``/``DEMO_EMAIL``, else from the file
``manage.py demo_setup`` writes (``DEMO_CREDENTIALS``, default ``.demo-credentials.json`` beside
this script), else from running ``manage.py demo_setup --json``. The server is ``--url``, else
``DEMO_URL``, else the one demo_setup was told about, else http://127.0.0.1:8000. Standard
library only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANAGE = HERE / "manage.py"
DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_CREDENTIALS = HERE / ".demo-credentials.json"
API = "/external-api/v1.0"
ROOM_NAME = re.compile(r"^[a-z]{3}-[a-z]{4}-[a-z]{3}$")
ROOM_FIELDS = {"id", "name", "slug", "access_level", "configuration"}
ROOM_SCOPES = {"rooms:list", "rooms:retrieve", "rooms:create", "rooms:update", "rooms:delete"}
TIMEOUT = 15


class CheckFailed(Exception):
    """A step got an answer it did not expect."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise CheckFailed(f"expected JSON, got {self.body[:200]!r}") from None


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    email: str
    url: str | None = None


@dataclass
class Client:
    base_url: str
    token: str | None = None
    log: list[str] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        headers = dict(headers or {})
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())
        except (urllib.error.URLError, OSError) as error:
            raise CheckFailed(
                f"{method} {url}: no answer ({error}); is the server running?"
            ) from None

    def expect(self, response: Response, status: int, what: str) -> Response:
        if response.status != status:
            raise CheckFailed(
                f"{what}: expected HTTP {status}, got {response.status}: {response.body[:500]!r}"
            )
        return response


class AssetFinder(HTMLParser):
    """Collect the ``src``/``href`` of scripts, stylesheets and icons of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.assets.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.assets.append(values["href"] or "")


def check_docs(client: Client) -> str:
    schema = client.expect(client.request("GET", "/api/schema/"), 200, "OpenAPI schema")
    if b"/external-api/v1.0/rooms/" not in schema.body:
        raise CheckFailed("the OpenAPI schema does not describe the rooms endpoints")
    checked = 0
    for page in ("/api/docs/", "/api/redoc/"):
        html = client.expect(client.request("GET", page), 200, page)
        finder = AssetFinder()
        finder.feed(html.body.decode("utf-8", "replace"))
        for asset in finder.assets:
            if urllib.parse.urlsplit(asset).netloc:
                raise CheckFailed(f"{page} loads {asset} from another host (internet needed)")
            client.expect(client.request("GET", asset, auth=False), 200, f"{page} asset {asset}")
            checked += 1
    return f"schema, Swagger UI and ReDoc served with {checked} local assets"


def check_token_rejects_wrong_secret(client: Client, credentials: Credentials) -> str:
    response = client.request(
        "POST",
        f"{API}/application/token/",
        json_body={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": "not-the-secret",
            "scope": credentials.email,
        },
    )
    body = client.expect(response, 401, "token with a wrong secret").json()
    if body.get("error") != "invalid_client":
        raise CheckFailed(f"token with a wrong secret: unexpected body {body}")
    return "wrong secret: 401 invalid_client"


def check_token(client: Client, credentials: Credentials) -> str:
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode())
    response = client.request(
        "POST",
        f"{API}/application/token/",
        form={"grant_type": "client_credentials", "scope": credentials.email},
        headers={"Authorization": f"Basic {basic.decode()}"},
        auth=False,
    )
    if response.status == 401:
        raise CheckFailed(
            f"token request: 401 {response.body[:200]!r}. The credentials do not match the "
            "server's database: run `manage.py demo_setup` against it (or `make demo`)."
        )
    body = client.expect(response, 200, "token request").json()
    if body.get("token_type") != "Bearer" or not isinstance(body.get("expires_in"), int):
        raise CheckFailed(f"token response: unexpected body {body}")
    missing = ROOM_SCOPES - set(str(body.get("scope", "")).split())
    if missing:
        raise CheckFailed(f"token response lacks scopes {sorted(missing)} (scope: {body})")
    client.token = body["access_token"]
    return f"token for {credentials.email}, scopes: {body['scope']}"


def check_unauthenticated(client: Client) -> str:
    response = client.request("GET", f"{API}/rooms/", auth=False)
    client.expect(response, 401, "rooms without a token")
    challenge = {k.lower(): v for k, v in response.headers.items()}.get("www-authenticate", "")
    if not challenge.startswith("Bearer"):
        raise CheckFailed(f"rooms without a token: WWW-Authenticate is {challenge!r}")
    return "no token: 401 with a Bearer challenge"


def check_room(room: Any, what: str) -> dict[str, Any]:
    if not isinstance(room, dict) or not set(room) >= ROOM_FIELDS:
        raise CheckFailed(f"{what}: not a room: {room}")
    if room["name"] != room["slug"] or not ROOM_NAME.match(room["slug"]):
        raise CheckFailed(f"{what}: name and slug should be one generated xxx-xxxx-xxx: {room}")
    return room


def run_flow(client: Client, credentials: Credentials, say: Callable[[str], None]) -> None:
    say(check_docs(client))
    say(check_token_rejects_wrong_secret(client, credentials))
    say(check_unauthenticated(client))
    say(check_token(client, credentials))

    response = client.request(
        "POST", f"{API}/rooms/", json_body={"configuration": {"everyone_can_mute": True}}
    )
    room = check_room(client.expect(response, 201, "create room").json(), "create room")
    if room["configuration"] != {"everyone_can_mute": True}:
        raise CheckFailed(f"create room: configuration not kept: {room}")
    room_url = f"{API}/rooms/{room['id']}/"
    say(f"create: 201, room {room['slug']} ({room['access_level']})")

    response = client.request("POST", f"{API}/rooms/", json_body={"configuration": {"bogus": 1}})
    errors = client.expect(response, 400, "create with an unknown configuration key").json()
    if "bogus" not in errors.get("configuration", {}):
        raise CheckFailed(f"unknown configuration key not named: {errors}")
    say("create with an unknown configuration key: 400 naming it")

    page_url: str | None = f"{API}/rooms/"
    found = False
    while page_url and not found:
        page = client.expect(client.request("GET", page_url), 200, "list rooms").json()
        if set(page) != {"count", "next", "previous", "results"}:
            raise CheckFailed(f"list rooms: not a page: {page}")
        found = any(item.get("id") == room["id"] for item in page["results"])
        page_url = page["next"]
    if not found:
        raise CheckFailed("list rooms: the new room is missing")
    say("list: 200, the new room is listed")

    fetched = client.expect(client.request("GET", room_url), 200, "retrieve room").json()
    if fetched != room:
        raise CheckFailed(f"retrieve room: {fetched} differs from the created {room}")
    say("retrieve: 200, same room")

    response = client.request("PATCH", room_url, json_body={"access_level": "restricted"})
    updated = check_room(client.expect(response, 200, "update room").json(), "update room")
    if updated["access_level"] != "restricted" or updated["id"] != room["id"]:
        raise CheckFailed(f"update room: not applied: {updated}")
    say("update (PATCH): 200, access_level restricted")

    client.expect(client.request("DELETE", room_url), 204, "delete room")
    say("delete: 204")
    client.expect(client.request("GET", room_url), 404, "retrieve a deleted room")
    say("retrieve after delete: 404")


# -- credentials and server ------------------------------------------------------------------


def manage(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CheckFailed(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def load_credentials(path: Path, url: str | None) -> Credentials:
    """Credentials from the environment, else ``path``, else a run of ``demo_setup``."""
    if os.environ.get("DEMO_CLIENT_ID") and os.environ.get("DEMO_CLIENT_SECRET"):
        return Credentials(
            os.environ["DEMO_CLIENT_ID"],
            os.environ["DEMO_CLIENT_SECRET"],
            os.environ.get("DEMO_EMAIL", "demo@example.com"),
        )
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    else:
        args = ["demo_setup", "--json", "--credentials-file", str(path)]
        data = json.loads(manage(*args, *(["--base-url", url] if url else [])))
    return Credentials(data["client_id"], data["client_secret"], data["email"], data.get("url"))


def wait_for(url: str, seconds: float, server: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/api/schema/", timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # The server answers.
        except OSError:
            pass
        if server is not None and server.poll() is not None:
            raise CheckFailed(f"the server exited with status {server.returncode}")
        if time.monotonic() > deadline:
            raise CheckFailed(f"no server answered at {url} within {seconds:.0f} s")
        time.sleep(0.3)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def throwaway_server(wait: float = 60, **environment: str) -> Iterator[tuple[str, Credentials]]:
    """Migrate a throwaway SQLite database, start a server on a free port; yield its URL and the
    demo credentials; stop it. The server's log is printed when the body fails.

    Other tools (schemathesis, generated clients, the integrator guide) run against it too.
    """
    with tempfile.TemporaryDirectory(prefix="demo-server-") as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        credentials_file = Path(tmp) / "credentials.json"
        env = {
            **os.environ,
            "DATABASE_URL": os.environ.get("DEMO_DATABASE_URL") or f"sqlite:///{tmp}/db.sqlite3",
            "DJANGO_DEBUG": "true",
            "PYTHONUNBUFFERED": "1",
            **environment,
        }
        manage("migrate", "--noinput", env=env)
        manage("demo_setup", "--json", "--credentials-file", str(credentials_file), env=env)
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(  # noqa: S603
                [sys.executable, str(MANAGE), "runserver", "--noreload", f"127.0.0.1:{port}"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_for(url, wait, server)
                yield url, load_credentials(credentials_file, url)
            except BaseException:
                print("--- server log ---", file=sys.stderr)
                print(log_path.read_text(encoding="utf-8", errors="replace"), file=sys.stderr)
                raise
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def serve_and_check(wait: float) -> int:
    """Run the flow against a throwaway server (fresh SQLite, free port)."""
    try:
        with throwaway_server(wait) as (url, credentials):
            if check(url, credentials):
                raise CheckFailed("the flow failed (see above)")
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    return 0


def check(url: str, credentials: Credentials) -> int:
    client = Client(url.rstrip("/"))
    steps = 0

    def say(message: str) -> None:
        nonlocal steps
        steps += 1
        print(f"ok  {message}", flush=True)

    try:
        run_flow(client, credentials, say)
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    print(f"demo-check: the whole flow works against {client.base_url} ({steps} steps).")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("DEMO_URL"),
        help=f"the server (env DEMO_URL; default: the credentials' url, else {DEFAULT_URL})",
    )
    parser.add_argument(
        "--credentials",
        type=Path,
        default=Path(os.environ.get("DEMO_CREDENTIALS", DEFAULT_CREDENTIALS)),
        help="credentials file written by demo_setup (env DEMO_CREDENTIALS)",
    )
    parser.add_argument(
        "--wait", type=float, default=0, help="seconds to wait for the server to answer"
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start a throwaway server (fresh SQLite, free port), check it, stop it",
    )
    args = parser.parse_args(argv)
    if args.serve:
        return serve_and_check(args.wait or 60)
    try:
        credentials = load_credentials(args.credentials, args.url)
        url = (args.url or credentials.url or DEFAULT_URL).rstrip("/")
        if args.wait:
            wait_for(url, args.wait)
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    return check(url, credentials)


if __name__ == "__main__":
    sys.exit(main())
