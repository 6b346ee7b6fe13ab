#!/usr/bin/env python3
"""Run the code of the integrator guide (``docs/integrator-guide.md``) against a live example
server, in the order the guide shows it.

    python example_project/guide/run.py     # `make test-guide`

Every ```bash, ```python and ```javascript block runs, unless the line before it (blank lines
aside) is an HTML comment starting ``<!-- not executed:`` that says why. Bash blocks share one
shell's variables (as a reader's terminal would: ``TOKEN`` set in one is used by the next); Python
and JavaScript blocks are whole programs. All run in one temporary folder (a generated client
written there by a bash block is imported by the next Python block), with ``SERVER``, ``API``,
``CLIENT_ID``, ``CLIENT_SECRET`` and ``USER_EMAIL`` set for the demo user of a throwaway server,
the venv's tools and the TypeScript check's ``node_modules`` at hand.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GUIDE = ROOT / "docs" / "integrator-guide.md"
NODE_MODULES = HERE.parent / "clients" / "typescript" / "node_modules"
sys.path.insert(0, str(HERE.parent))

from demo_check import API, throwaway_server  # noqa: E402

RUNNABLE = {"bash", "python", "javascript"}
FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"^<!--\s*not executed:\s*(.+?)\s*-->$")


@dataclass
class Block:
    language: str
    code: str
    line: int
    skipped: str | None


def blocks(text: str) -> list[Block]:
    """The fenced blocks of ``text``, with the reason they are not run, if any."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    previous = ""
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        skip = SKIP.match(previous)
        found.append(Block(match.group(1), "\n".join(body) + "\n", start + 1, skip and skip[1]))
        previous = ""
        index += 1
    return found


def run_block(block: Block, number: int, folder: Path, env: dict[str, str]) -> bool:
    if block.language == "bash":
        script = folder / f"block-{number}.sh"
        state = folder / "shell-state.sh"
        script.write_text(
            # `set -a`: every variable a block sets is exported, so the next block gets it.
            f"set -euo pipefail -a\n[ -f {state} ] && . {state}\n{block.code}\n"
            f"export -p > {state}\n"
        )
        command = ["bash", str(script)]
    elif block.language == "python":
        script = folder / f"block_{number}.py"
        script.write_text(block.code)
        command = [sys.executable, str(script)]
    else:
        script = folder / f"block-{number}.mjs"
        script.write_text(block.code)
        command = ["node", str(script)]
    print(f"\n-- line {block.line}: {block.language}", flush=True)
    result = subprocess.run(command, cwd=folder, env=env, check=False)  # noqa: S603
    return result.returncode == 0


def main() -> int:
    guide = blocks(GUIDE.read_text(encoding="utf-8"))
    runnable = [block for block in guide if block.language in RUNNABLE]
    if not runnable:
        print(f"FAIL no code found in {GUIDE}", file=sys.stderr)
        return 1
    failed: list[int] = []
    with (
        tempfile.TemporaryDirectory(prefix="integrator-guide-") as tmp,
        throwaway_server() as (
            url,
            credentials,
        ),
    ):
        folder = Path(tmp)
        if NODE_MODULES.is_dir():
            (folder / "node_modules").symlink_to(NODE_MODULES)
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "SERVER": url,
            "API": url + API,
            "CLIENT_ID": credentials.client_id,
            "CLIENT_SECRET": credentials.client_secret,
            "USER_EMAIL": credentials.email,
            # The server is plain HTTP on the loopback; oauthlib refuses that otherwise.
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }
        ran = 0
        for number, block in enumerate(runnable, 1):
            if block.skipped:
                print(f"\n-- line {block.line}: {block.language}, not run: {block.skipped}")
                continue
            ran += 1
            if not run_block(block, number, folder, env):
                failed.append(block.line)
    skipped = len(runnable) - ran
    if failed:
        lines = ", ".join(map(str, failed))
        print(f"\nFAIL {GUIDE.name}: the blocks at lines {lines} failed", file=sys.stderr)
        return 1
    print(
        f"\n{GUIDE.name}: {ran} code blocks ran against a live server ({skipped} not run, each "
        "saying why)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
