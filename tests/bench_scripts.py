"""The scripts under bench/ (not a package), loaded as modules for their tests."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(name: str) -> ModuleType:
    """``bench/<name>.py`` as module ``cbbd_bench_<name>``; registered in ``sys.modules``, which dataclasses need."""
    spec = importlib.util.spec_from_file_location(f"cbbd_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
