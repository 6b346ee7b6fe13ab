#!/usr/bin/env python3
"""Generate clients from the committed ``example_project/openapi.yaml`` and run the whole flow with
each against a live example server: token, create with configuration, list, retrieve, update,
partial update, delete, and 4xx answers parsed as their documented errors.

    python example_project/clients/run.py     # `make test-clients` (runs `npm ci` first)

- Python: openapi-python-client generates ``meet_client`` into a temporary folder;
  ``python/flow.py`` uses it.
- TypeScript: openapi-typescript generates ``typescript/generated/schema.d.ts``; ``tsc`` (strict)
  compiles ``typescript/flow.ts``, which calls through openapi-fetch; node runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE.parent / "openapi.yaml"
TYPESCRIPT = HERE / "typescript"
sys.path.insert(0, str(HERE.parent))

from demo_check import throwaway_server  # noqa: E402


def run(command: list[str], **kwargs: object) -> None:
    print("$", " ".join(str(part) for part in command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # noqa: S603


def generate_python(folder: Path) -> None:
    generator = Path(sys.executable).with_name("openapi-python-client")
    run(
        [
            str(generator),
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--output-path",
            str(folder / "meet_client"),
        ],
        # It formats with ruff when ruff is on PATH (the venv's is).
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )


def generate_typescript() -> None:
    binaries = TYPESCRIPT / "node_modules" / ".bin"
    if not binaries.is_dir():
        raise SystemExit(f"run `npm ci --prefix {TYPESCRIPT}` first (make test-clients does)")
    run(
        [str(binaries / "openapi-typescript"), str(DOCUMENT), "--output", "generated/schema.d.ts"],
        cwd=TYPESCRIPT,
    )
    run([str(binaries / "tsc"), "--project", "tsconfig.json"], cwd=TYPESCRIPT)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="generated-clients-") as tmp:
        generate_python(Path(tmp))
        generate_typescript()
        with throwaway_server() as (url, credentials):
            env = {
                **os.environ,
                "MEET_URL": url,
                "CLIENT_ID": credentials.client_id,
                "CLIENT_SECRET": credentials.client_secret,
                "USER_EMAIL": credentials.email,
            }
            failed = []
            flows = {
                "python": ([sys.executable, str(HERE / "python" / "flow.py")], {"PYTHONPATH": tmp}),
                "typescript": (["node", str(TYPESCRIPT / "dist" / "flow.js")], {}),
            }
            for name, (command, extra) in flows.items():
                print(f"\n-- {name} client", flush=True)
                if subprocess.run(command, env={**env, **extra}, check=False).returncode:  # noqa: S603
                    failed.append(name)
    if failed:
        print(f"FAIL generated clients: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("\ngenerated clients: python and typescript ran the whole flow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
