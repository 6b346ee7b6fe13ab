#!/usr/bin/env python
"""Django's command-line utility for the example project (La Suite Meet in miniature)."""

import os
import sys
from pathlib import Path


def main() -> None:
    # Run from a checkout without installing the app: the repository root holds it.
    repository = str(Path(__file__).resolve().parent.parent)
    if repository not in sys.path:
        sys.path.insert(1, repository)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
