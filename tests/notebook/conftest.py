"""The shell's small known store serves the notebook tests too."""
from __future__ import annotations

from tests.repl.conftest import store_path  # noqa: F401  (a fixture)
