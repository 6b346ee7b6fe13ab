"""Check the package's translation catalogues (`make messages-check`).

For each language under django_app_delegation/locale/ (French today):

1. current: the messages extracted from the source now (Django's makemessages, run on a copy of
   the package) are exactly those of the committed django.po: none missing, none stale;
2. complete: every entry of django.po is translated, none is fuzzy, none obsolete, and msgfmt
   --check accepts it (python-format placeholders match, plural forms declared);
3. compiled: the committed django.mo holds exactly what django.po compiles to.

It needs GNU gettext (xgettext, msgfmt): `apt-get install gettext` on Debian/Ubuntu. Fix a
failure with `make messages` (then translate), or `make compilemessages`.

Usage: python .ci/check_messages.py
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "django_app_delegation"
LOCALE = PACKAGE / "locale"
#: ``msgfmt --statistics``: "12 translated messages, 1 fuzzy translation, 2 untranslated messages."
STATISTICS = re.compile(r"(\d+) (translated|fuzzy|untranslated)")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} not found: install GNU gettext (apt-get install gettext)")
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        sys.exit(f"failed: {' '.join(args)}\n{result.stdout}{result.stderr}")
    return result


def makemessages(language: str, package: Path) -> None:
    """Run the extraction of ``make messages`` on ``package`` (a copy of the package)."""
    # -P: not the package folder on sys.path (its secrets.py would hide the standard library's).
    run(
        sys.executable,
        "-P",
        "-m",
        "django",
        "makemessages",
        "--locale",
        language,
        "--add-location=file",
        "--no-obsolete",
        cwd=package,
    )


def compile_catalogue(po: Path, mo: Path) -> dict[str, int]:
    """Compile ``po`` into ``mo`` with msgfmt --check; return its statistics."""
    result = run(tool("msgfmt"), "--check", "--statistics", "--output-file", str(mo), str(po))
    return {kind: int(count) for count, kind in STATISTICS.findall(result.stderr)}


def catalogue(mo: Path) -> dict[object, str]:
    """The messages of a compiled catalogue, header included."""
    with mo.open("rb") as file:
        return dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]


def check_language(language: str, scratch: Path) -> list[str]:
    problems: list[str] = []
    folder = LOCALE / language / "LC_MESSAGES"
    po, mo = folder / "django.po", folder / "django.mo"
    if not po.is_file():
        return [f"{po.relative_to(REPO)} is missing: run make messages"]

    # 1. current: extract again, from a copy of the package, and compare the message ids.
    copy = scratch / language / PACKAGE.name
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    makemessages(language, copy)
    extracted = catalogue_ids(copy / "locale" / language / "LC_MESSAGES" / "django.po", scratch)
    committed = catalogue_ids(po, scratch)
    for message in sorted(extracted - committed, key=str):
        problems.append(f"{language}: not in django.po (run make messages): {message!r}")
    for message in sorted(committed - extracted, key=str):
        problems.append(f"{language}: in django.po but no longer in the code: {message!r}")

    # 2. complete: all translated, nothing fuzzy or obsolete, placeholders matching.
    compiled = scratch / f"{language}.mo"
    statistics = compile_catalogue(po, compiled)
    for kind in ("fuzzy", "untranslated"):
        if statistics.get(kind):
            problems.append(f"{language}: {statistics[kind]} {kind} entries in django.po")
    if any(line.startswith("#~") for line in po.read_text(encoding="utf-8").splitlines()):
        problems.append(f"{language}: obsolete (#~) entries in django.po: run make messages")

    # 3. compiled: the committed .mo says what the .po says.
    if not mo.is_file():
        problems.append(f"{mo.relative_to(REPO)} is missing: run make compilemessages")
    elif catalogue(mo) != catalogue(compiled):
        problems.append(f"{language}: django.mo is older than django.po: run make compilemessages")
    if not problems:
        print(f"OK {language}: {statistics.get('translated', 0)} messages, all translated")
    return problems


def catalogue_ids(po: Path, scratch: Path) -> set[object]:
    """The message ids of ``po``, translated or not: compiled from a copy "translated" as itself."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    identity, compiled = folder / "identity.po", folder / "identity.mo"
    run(tool("msgen"), "--output-file", str(identity), str(po))
    run(tool("msgfmt"), "--use-fuzzy", "--output-file", str(compiled), str(identity))
    return {message for message in catalogue(compiled) if message != ""}


def main() -> int:
    languages = sorted(path.name for path in LOCALE.iterdir() if path.is_dir())
    if not languages:
        sys.exit(f"no language under {LOCALE.relative_to(REPO)}")
    with tempfile.TemporaryDirectory() as scratch:
        problems = [
            problem for language in languages for problem in check_language(language, Path(scratch))
        ]
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
