"""Secrets for serving the platform on one's own machine (``make run``, ``make dev``).

Production takes its secrets from the environment and, with DEBUG off, refuses to start without
them. ``make run`` serves with DEBUG off too, without asking a new user for any secret: it sets
``LOCAL_SECRETS_DIR``, and the settings then call :func:`provide` before they read anything.
Each secret the environment does not set is generated once, kept in a file of its own name in
that directory (``.data/secrets/`` in the checkout, ignored by git) and put in the environment,
where the settings find it as they would in production. Later runs read the same files, so
sessions survive a restart and the second-factor secrets of the demo stay readable.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def _key() -> str:
    """32 random bytes in URL-safe base64: a Fernet key, and a good HMAC key."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


#: The environment variables production must set and ``make run`` generates: name -> generator.
#: A secret added to the settings that DEBUG off requires belongs here too.
GENERATORS: dict[str, Callable[[], str]] = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(64),
    "MFA_ENCRYPTION_KEYS": _key,
    "ACCESS_LOG_KEYS": _key,
}


def provide(directory: Path, environ: MutableMapping[str, str] | None = None) -> None:
    """Set every secret of ``GENERATORS`` that ``environ`` (``os.environ``) leaves unset or
    empty, from its file in ``directory``; a missing file is created with a new secret."""
    environ = os.environ if environ is None else environ
    for name, generate in GENERATORS.items():
        if not environ.get(name, "").strip():
            environ[name] = read_or_create(directory / name, generate)


def read_or_create(path: Path, generate: Callable[[], str]) -> str:
    """The secret kept in ``path``; created there with ``generate()`` if the file is missing."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written in full under a temporary name (readable by the owner only), then linked into
        # place: a process starting at the same moment finds either no file or the whole one,
        # and of two new secrets the first link wins.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(generate() + "\n")
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    value = path.read_text().strip()
    if not value:
        raise ImproperlyConfigured(f"{path} is empty; delete it and a new secret is generated.")
    return value
