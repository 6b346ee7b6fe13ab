"""Run the example project's tests against the built wheel, installed as a user would.

`make test-wheel` runs it. It creates a clean virtual environment in a temporary directory,
installs the one wheel of DIST_DIR into it (not editable, with the ``demo``, ``test`` and
``lasuite`` extras the example project's tests use), copies ``example_project/`` (and the
migration guide its tests run) next to it and runs ``python -m pytest`` there. Nothing of the
checkout is on the import path, and a pytest plugin stops the run unless
``django_app_delegation`` was imported from that environment's site-packages, installed from
that wheel. The temporary directory is removed at the end. Extra arguments go to pytest;
``DATABASE_URL`` applies as in ``make test-example``.

Usage: python .ci/test_wheel.py [--python PYTHON] DIST_DIR [PYTEST_ARGS...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXTRAS = "demo,test,lasuite"
PLUGIN = "installed_wheel_check"
PLUGIN_SOURCE = '''\
"""Stop the run unless django_app_delegation comes from this environment's installed wheel."""

import json
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

WHEEL = {wheel!r}


def pytest_collection_finish(session):
    import django_app_delegation

    module = Path(django_app_delegation.__file__).resolve()
    site_packages = Path(sysconfig.get_path("purelib")).resolve()
    if site_packages not in module.parents:
        pytest.exit(f"django_app_delegation imported from {{module}}, not {{site_packages}}", 1)
    origin = metadata.distribution("django-app-delegation").read_text("direct_url.json")
    url = json.loads(origin or "{{}}").get("url", "")
    if not url.endswith("/" + WHEEL):
        pytest.exit(f"django-app-delegation installed from {{url or 'an index'}}, not {{WHEEL}}", 1)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reporter.write_line(f"django_app_delegation from {{module.parent}} ({{WHEEL}})")
'''


def run(
    command: list[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run(command, check=True, cwd=cwd, env=env)  # noqa: S603


def install_and_test(root: Path, interpreter: str, wheel: Path, pytest_args: list[str]) -> None:
    """Install ``wheel`` in a new environment under ``root``; test a copy of the example there."""
    venv, project, plugins = root / "venv", root / "example_project", root / "plugins"
    python = venv / "bin" / "python"
    run([interpreter, "-m", "venv", venv])
    run([python, "-m", "pip", "install", "--quiet", f"{wheel}[{EXTRAS}]"])
    shutil.copytree(
        REPO / "example_project",
        project,
        ignore=shutil.ignore_patterns(
            "__pycache__",
            "*.py[cod]",
            ".pytest_cache",
            "*.sqlite3",
            ".demo-credentials.json",
            "staticfiles",
        ),
    )
    # The migration guide, whose code blocks the example project's tests run.
    guide = Path("docs", "how-to", "migrate-from-meet.md")
    (root / guide).parent.mkdir(parents=True)
    shutil.copyfile(REPO / guide, root / guide)
    plugins.mkdir()
    (plugins / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE.format(wheel=wheel.name))
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE"}
    }
    # Only the plugin's directory: the example project adds itself (and its parent, here the
    # temporary directory) through its pytest.ini.
    environment["PYTHONPATH"] = str(plugins)
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    run([python, "-m", "pytest", "-p", PLUGIN, *pytest_args], cwd=project, env=environment)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter of the clean environment"
    )
    parser.add_argument("dist", type=Path, help="the directory holding the one wheel")
    args, pytest_args = parser.parse_known_args(argv)
    wheels = sorted(args.dist.resolve().glob("*.whl"))
    if len(wheels) != 1:
        parser.error(f"expected one wheel in {args.dist}, found {[w.name for w in wheels]}")
    try:
        with tempfile.TemporaryDirectory(prefix="django-app-delegation-wheel-") as directory:
            install_and_test(Path(directory), args.python, wheels[0], pytest_args)
    except subprocess.CalledProcessError as error:
        return error.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
