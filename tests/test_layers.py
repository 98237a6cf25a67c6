"""The layers of the code (docs/architecture.md): who may import whom, read from the source.

``core`` is the ground floor and imports no app; ``accounts`` stands on it alone; the feature
apps stand on those two and on each other's public models only; ``config`` is the top layer
that nothing imports; ``demo`` and ``backup`` sit beside everything and nothing imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "directory", "channels_app", "knowledge", "privacy", "insights"]
TOP = ["config", "demo", "backup"]

#: what each package may import of the platform's own packages (a module prefix, or a package)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "accounts": {"core"},
    "directory": {"core", "accounts"},
    "channels_app": {"core", "accounts", "directory"},
    "knowledge": {
        "core", "accounts", "directory",
        "channels_app.models",  # an article restricted to channels' members
        "channels_app.services",  # sharing an article posts a message in a channel
        "channels_app.notifications",  # a learning session's reminder as a push notification
    },
    "privacy": {
        "core", "accounts", "directory",
        # an invitation or a suspension told as a notification; a new message as a push
        "channels_app.notifications",
    },
    "insights": {
        "core", "accounts", "directory", "knowledge.models", "privacy.models",
        "channels_app.models",
    },
}  # fmt: skip


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _own(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in APPS + TOP else None


def _allowed(package: str, name: str) -> bool:
    target = _own(name)
    if target is None or target == package:
        return True
    rules = ALLOWED[package]
    return target in rules or any(name == r or name.startswith(f"{r}.") for r in rules)


def _sources(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("package", list(ALLOWED))
def test_each_package_imports_only_the_layers_below_it(package):
    wrong = []
    for path in _sources(package):
        for name in _imports(path):
            # ``from x import y`` is checked as ``x`` and as ``x.y``: one of them is enough
            if not _allowed(package, name) and not any(
                _allowed(package, other) and other.startswith(f"{name}.")
                for other in _imports(path)
            ):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_nothing_imports_the_top_layer():
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for package in ALLOWED
        for path in _sources(package)
        for name in _imports(path)
        if _own(name) in TOP
    ]
    assert wrong == []
