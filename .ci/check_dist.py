"""List the sdist and the wheel in DIST_DIR and check what they hold (`make dist-check`).

The sdist holds what builds the wheel and no tests (MANIFEST.in says why); the wheel holds the
package only. Both hold the same package files, and every package file git tracks.

Usage: python .ci/check_dist.py DIST_DIR
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "django_app_delegation"
#: Everything the sdist may hold at its top level.
SDIST_TOP_LEVEL = {
    PACKAGE,
    f"{PACKAGE}.egg-info",
    "LICENSE",
    "MANIFEST.in",
    "PKG-INFO",
    "README.md",
    "pyproject.toml",
    "setup.cfg",
}
#: Package files that are not Python modules, which package-data must bring into both archives.
REQUIRED_PACKAGE_FILES = (
    f"{PACKAGE}/py.typed",
    f"{PACKAGE}/templates/admin/{PACKAGE}/application/secret.html",
    f"{PACKAGE}/static/{PACKAGE}/admin.css",
    f"{PACKAGE}/locale/fr/LC_MESSAGES/django.po",
    f"{PACKAGE}/locale/fr/LC_MESSAGES/django.mo",
)


def only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    if len(found) != 1:
        sys.exit(f"expected one {pattern} in {directory}, found {[p.name for p in found]}")
    return found[0]


def sdist_files(path: Path) -> list[str]:
    """The sdist's files, without the ``<name>-<version>/`` prefix."""
    with tarfile.open(path) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    return sorted(str(PurePosixPath(*PurePosixPath(name).parts[1:])) for name in names)


def wheel_files(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(name for name in archive.namelist() if not name.endswith("/"))


def tracked_package_files() -> set[str] | None:
    """The package files git tracks, or None outside a git checkout."""
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        return None
    listing = subprocess.run(  # noqa: S603
        [git, "ls-files", PACKAGE], cwd=REPO, check=True, capture_output=True, text=True
    )
    return set(listing.stdout.split())


def show(title: str, files: list[str]) -> None:
    print(f"== {title}: {len(files)} files")
    for name in files:
        print(f"   {name}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.exit(__doc__)
    dist = Path(argv[0])
    sdist, wheel = only(dist, "*.tar.gz"), only(dist, "*.whl")
    in_sdist, in_wheel = sdist_files(sdist), wheel_files(wheel)
    show(sdist.name, in_sdist)
    show(wheel.name, in_wheel)

    problems: list[str] = []
    for name in in_sdist + in_wheel:
        if "__pycache__" in name or name.endswith((".pyc", ".pyo")):
            problems.append(f"compiled file in an archive: {name}")
    unexpected = sorted({name.split("/")[0] for name in in_sdist} - SDIST_TOP_LEVEL)
    if unexpected:
        problems.append(f"sdist holds more than the package: {', '.join(unexpected)}")
    outside = sorted(
        top
        for top in {name.split("/")[0] for name in in_wheel}
        if top != PACKAGE and not top.endswith(".dist-info")
    )
    if outside:
        problems.append(f"wheel holds more than the package: {', '.join(outside)}")
    package_in_sdist = {name for name in in_sdist if name.startswith(PACKAGE + "/")}
    package_in_wheel = {name for name in in_wheel if name.startswith(PACKAGE + "/")}
    for name in REQUIRED_PACKAGE_FILES:
        for where, files in (("sdist", package_in_sdist), ("wheel", package_in_wheel)):
            if name not in files:
                problems.append(f"missing from the {where}: {name}")
    for name in sorted(package_in_sdist ^ package_in_wheel):
        where = "sdist" if name in package_in_sdist else "wheel"
        problems.append(f"only in the {where}: {name}")
    tracked = tracked_package_files()
    if tracked is None:
        print("(not a git checkout: tracked package files not compared)")
    else:
        for name in sorted(tracked - package_in_wheel):
            problems.append(f"tracked by git but missing from the wheel: {name}")

    print()
    if problems:
        for problem in problems:
            print(f"FAIL: {problem}")
        return 1
    print(
        f"OK: the sdist holds {len(package_in_sdist)} package files, README, LICENSE and the "
        f"build metadata, no tests; the wheel holds the same package files (the French "
        f"catalogue compiled, the admin's template and stylesheet among them)"
        + ("" if tracked is None else ", every one git tracks")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
