"""The benchmark scripts import each other by module name, from ``benchmarks/``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
