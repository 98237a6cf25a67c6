"""The project layout keeps the standard library's ``platform`` module reachable."""

from __future__ import annotations

import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_python_package_named_platform():
    offenders = [
        path
        for path in ROOT.rglob("platform")
        if path.is_dir()
        and ".venv" not in path.parts
        and "node_modules" not in path.parts
        and any(path.glob("*.py"))
    ]
    assert offenders == []
    assert not (ROOT / "platform.py").exists()
    assert Path(platform.__file__).parent != ROOT / "platform"
    assert callable(platform.python_version)
