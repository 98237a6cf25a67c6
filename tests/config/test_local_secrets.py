"""Secrets ``make run`` generates for itself, and what production still has to set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config import local_secrets

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-" + "x7Qp2" * 10,
    "MFA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ACCESS_LOG_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "wijkplatform.example",
}
#: what make run sets (Makefile, RUN_ENV), apart from the directory
MAKE_RUN = {"DEBUG": "false", "HTTPS": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost"}


def test_it_generates_each_secret_once_and_reads_it_back(tmp_path):
    first: dict[str, str] = {}
    local_secrets.provide(tmp_path / "secrets", first)
    assert set(first) == set(local_secrets.GENERATORS)
    again: dict[str, str] = {}
    local_secrets.provide(tmp_path / "secrets", again)
    assert again == first
    assert len(first["SECRET_KEY"]) >= 50
    Fernet(first["MFA_ENCRYPTION_KEYS"])  # a valid key


def test_a_secret_set_in_the_environment_wins_and_is_not_written(tmp_path):
    environ = {"SECRET_KEY": "set-by-the-operator"}
    local_secrets.provide(tmp_path, environ)
    assert environ["SECRET_KEY"] == "set-by-the-operator"
    assert not (tmp_path / "SECRET_KEY").exists()
    assert (tmp_path / "MFA_ENCRYPTION_KEYS").exists()


def test_an_emptied_file_is_an_error_not_an_empty_secret(tmp_path):
    (tmp_path / "SECRET_KEY").write_text("\n")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is empty"):
        local_secrets.provide(tmp_path, {})


def settings_under(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The security settings a fresh process computes from ``env`` alone."""
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n, None) for n in ["
        "'DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'LANGUAGE_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'ACCOUNT_DEFAULT_HTTP_PROTOCOL', "
        "'SECRET_KEY']}))"
    )
    ignored = {"DEBUG", "HTTPS", "LOCAL_SECRETS_DIR", "ALLOWED_HOSTS", *PRODUCTION}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_still_refuses_to_start_without_its_secrets():
    result = settings_under({"DEBUG": "false", "ALLOWED_HOSTS": "wijkplatform.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_serves_over_https_only():
    result = settings_under(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 60 * 60 * 24 * 365,
        "ACCOUNT_DEFAULT_HTTP_PROTOCOL": "https",
        "SECRET_KEY": PRODUCTION["SECRET_KEY"],
    }


def test_make_run_serves_plain_http_with_debug_off_and_its_own_secrets(tmp_path):
    result = settings_under({**MAKE_RUN, "LOCAL_SECRETS_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "LANGUAGE_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "ACCOUNT_DEFAULT_HTTP_PROTOCOL": "http",
        "SECRET_KEY": (tmp_path / "SECRET_KEY").read_text().strip(),
    }


def test_make_run_generates_a_vapid_key_whose_public_key_browsers_take(tmp_path):
    import base64

    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    environ: dict[str, str] = {}
    local_secrets.provide(tmp_path, environ)
    private = environ["VAPID_PRIVATE_KEY"]
    public = local_secrets.vapid_public_key(private)
    raw = base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point
    # the key pywebpush signs with is the same key
    signer = Vapid.from_string(private).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert signer == raw
    with pytest.raises(ImproperlyConfigured, match="VAPID_PRIVATE_KEY"):
        local_secrets.vapid_public_key("not-a-key")


def test_a_vapid_public_key_that_does_not_belong_to_the_private_key_is_refused():
    key, other = local_secrets.vapid_key(), local_secrets.vapid_key()
    result = settings_under(
        {
            **PRODUCTION,
            "VAPID_PRIVATE_KEY": key,
            "VAPID_PUBLIC_KEY": local_secrets.vapid_public_key(other),
        }
    )
    assert result.returncode != 0
    assert "VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY" in result.stderr
    matching = {**PRODUCTION, "VAPID_PRIVATE_KEY": key}
    assert (
        settings_under(
            {**matching, "VAPID_PUBLIC_KEY": local_secrets.vapid_public_key(key)}
        ).returncode
        == 0
    )
