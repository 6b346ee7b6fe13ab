#!/usr/bin/env python3
"""schemathesis against a live example server: every operation of the served OpenAPI document,
every check, every phase (examples, coverage, fuzzing, stateful links), bounded examples.

    python example_project/contract/run.py       # `make test-contract`

Starts a throwaway server (fresh SQLite, free port; see ``demo_check.throwaway_server``), gets a
token for the demo user, and runs ``schemathesis run`` with ``schemathesis.toml`` beside this
file. Exits with schemathesis's status: non-zero on any failure.

The server's token limits and lockout (on by default, 429 when met) are raised far above what a
run sends: schemathesis fails on any 429 (``rate_limited``), and the operations behind a limit
would go unchecked. The limits themselves are tested in the app's suite.
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


#: The server's limits for a run: far more requests a minute and wrong secrets than a run sends.
LIMITS = {
    "DELEGATION_TOKEN_RATE_PER_IP": "100000/minute",
    "DELEGATION_TOKEN_RATE_PER_APPLICATION": "100000/minute",
    "DELEGATION_TOKEN_LOCKOUT_FAILURES": "1000",
}


def main() -> int:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with throwaway_server(**LIMITS) as (url, credentials):
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
