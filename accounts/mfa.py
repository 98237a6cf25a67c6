"""Second-factor secrets at rest.

allauth keeps each TOTP key and recovery-code seed in ``Authenticator.data`` and passes them
through the MFA adapter's ``encrypt``/``decrypt`` hooks. Here they are encrypted with Fernet
under ``settings.MFA_ENCRYPTION_KEYS``, a key that lives in the environment and never in the
database: a database dump, a backup or an administrator's screen holds no usable secret.

The first key encrypts; every key decrypts, so a key is rotated by putting a new one first and
calling ``reencrypt_authenticators()`` before the old one is dropped (docs/SECURITY.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

# Every Fernet token starts with its version byte 0x80, "gAAAAA" in URL-safe base64. A TOTP key
# is upper-case base32 and a recovery seed lower-case hex, so neither can start like that.
FERNET_PREFIX = "gAAAAA"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEYS must be Fernet keys (32 bytes, URL-safe base64)."
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.MFA_ENCRYPTION_KEYS))


def is_encrypted(value: str) -> bool:
    return value.startswith(FERNET_PREFIX)


def encrypt_secret(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt_secret(value: str) -> str:
    """The secret in ``value``, which is a Fernet token or, for an authenticator stored before
    encryption (and not yet migrated by accounts 0005), the plaintext itself."""
    if not is_encrypted(value):
        return value
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        # A key was dropped too early or the row was tampered with; never fall back to treating
        # the token as a secret.
        raise ImproperlyConfigured(
            "A second-factor secret cannot be decrypted with any of MFA_ENCRYPTION_KEYS."
        ) from None


def reencrypt_secret(value: str) -> str:
    """``value`` encrypted under the first key, whatever key (or none) it had before."""
    if not is_encrypted(value):
        return encrypt_secret(value)
    return fernet().rotate(value.encode()).decode()


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)


def _with_secrets(data: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    # The keys allauth passes through encrypt(): a TOTP key, a recovery-code seed and the codes
    # taken over from django-allauth-2fa.
    data = dict(data)
    for name in ("secret", "seed"):
        if isinstance(data.get(name), str):
            data[name] = change(data[name])
    if isinstance(data.get("migrated_codes"), list):
        data["migrated_codes"] = [change(code) for code in data["migrated_codes"]]
    return data


def reencrypt_authenticators(model: Any = None) -> int:
    """Encrypt every stored second-factor secret under the first of ``MFA_ENCRYPTION_KEYS``:
    plaintext from before encryption and tokens under an older key alike. Returns the number of
    authenticators rewritten. ``model`` is the historical model when a migration calls this."""
    if model is None:
        from allauth.mfa.models import Authenticator as model
    changed = 0
    with transaction.atomic():
        for authenticator in model.objects.select_for_update().filter(
            type__in=["totp", "recovery_codes"]
        ):
            data = _with_secrets(authenticator.data, reencrypt_secret)
            if data != authenticator.data:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                changed += 1
    return changed


def decrypt_authenticators(model: Any) -> None:
    """Store the secrets in plaintext again: the reverse of accounts 0005, for a rollback to a
    release without encryption only."""
    for authenticator in model.objects.filter(type__in=["totp", "recovery_codes"]):
        authenticator.data = _with_secrets(authenticator.data, decrypt_secret)
        authenticator.save(update_fields=["data"])
