"""The committed OpenAPI document (``example_project/openapi.yaml``) is what the code generates.

Any change to the API's shape shows up in review as a diff of that file. After an intended
change, regenerate it with ``make schema``.
"""

import difflib
from pathlib import Path

from django.core.management import call_command

GOLDEN = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_generated_schema_matches_the_committed_openapi_yaml(db, tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))

    expected, actual = GOLDEN.read_text(), generated.read_text()

    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            "openapi.yaml (committed)",
            "openapi.yaml (generated)",
        )
    )
    assert not diff, f"The API schema changed; review it and run `make schema`:\n{diff}"
