"""Where things live: the repository, the build directory (gitignored) and the outputs."""
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
BUILD = ROOT / ".build-bench"
BIN = BUILD / "bin"
DOCS = ROOT / "docs"
CHARTS = DOCS / "bench"
