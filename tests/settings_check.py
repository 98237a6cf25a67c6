"""``manage.py check`` in a fresh process, with chosen settings in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: settings taken out of this process's environment before the chosen ones are put in
CHOSEN = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "MFA_ENCRYPTION_KEYS", "ACCESS_LOG_KEYS",
          "LOCAL_SECRETS_DIR", "SITE_URL"}  # fmt: skip

#: a complete production environment (DEBUG off), with fixed test keys
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-" + "x7Qp2" * 10,
    "ALLOWED_HOSTS": "wijkplatform.example",
    "MFA_ENCRYPTION_KEYS": "Qm9ndXMta2V5LW9mLTMyLWJ5dGVzLWZvci10ZXN0cyE=",
    "ACCESS_LOG_KEYS": "access-log-key-for-this-test-" + "x7Qp2" * 4,
}


def run_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CHOSEN}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_without(name: str) -> dict[str, str]:
    """The production environment without one setting (to see it refused or replaced)."""
    return {key: value for key, value in PRODUCTION.items() if key != name}
