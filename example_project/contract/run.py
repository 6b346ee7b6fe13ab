#!/usr/bin/env python3
"""schemathesis against a live example server: every operation of the served OpenAPI document,
every check, every phase (examples, coverage, fuzzing, stateful links), bounded examples.

    python example_project/contract/run.py       # `make test-contract`

Starts a throwaway server (fresh SQLite, free port; see ``demo_check.throwaway_server``), gets a
token for the demo user, and runs ``schemathesis run`` with ``schemathesis.toml`` beside this
file. Exits with schemathesis's status: non-zero on any failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from demo_check import API, Client, throwaway_server  # noqa: E402


def token_for(url: str, client_id: str, client_secret: str, email: str) -> str:
    client = Client(url)
    response = client.request(
        "POST",
        f"{API}/application/token/",
        form={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": email,
        },
        auth=False,
    )
    return client.expect(response, 200, "token for schemathesis").json()["access_token"]


def main() -> int:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with throwaway_server() as (url, credentials):
        env = {
            **os.environ,
            "CONTRACT_CLIENT_ID": credentials.client_id,
            "CONTRACT_CLIENT_SECRET": credentials.client_secret,
            "CONTRACT_TOKEN": token_for(
                url, credentials.client_id, credentials.client_secret, credentials.email
            ),
        }
        command = [
            str(schemathesis),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{url}/api/schema/",
            "--no-color",
            *sys.argv[1:],
        ]
        print("$", " ".join(command[:5]), "...", flush=True)
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
