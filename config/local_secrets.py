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
import hashlib
import os
import secrets
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured


def _key() -> str:
    """32 random bytes in URL-safe base64: a Fernet key, and a good HMAC key."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def vapid_key() -> str:
    """A new VAPID private key (a P-256 key): its 32 bytes in URL-safe base64 without padding."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64(key.private_numbers().private_value.to_bytes(32, "big"))


def vapid_key_from_seed(seed: str) -> str:
    """A VAPID private key derived from ``seed`` (development, where none is configured)."""
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return _b64((value % (order - 1) + 1).to_bytes(32, "big"))


def vapid_public_key(private_key: str) -> str:
    """The public key of a VAPID private key, as browsers take it (``applicationServerKey``):
    the uncompressed point in URL-safe base64 without padding."""
    try:
        raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
        if len(raw) != 32:
            raise ValueError("not 32 bytes")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise ImproperlyConfigured(
            "VAPID_PRIVATE_KEY must be a P-256 private key: 32 bytes in URL-safe base64."
        ) from None
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(point)


#: The environment variables production must set and ``make run`` generates: name -> generator.
#: A secret added to the settings that DEBUG off requires belongs here too (and the VAPID key,
#: without which the platform sends no push notifications).
GENERATORS: dict[str, Callable[[], str]] = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(64),
    "MFA_ENCRYPTION_KEYS": _key,
    "ACCESS_LOG_KEYS": _key,
    "VAPID_PRIVATE_KEY": vapid_key,
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
