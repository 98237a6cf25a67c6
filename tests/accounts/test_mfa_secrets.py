"""Second-factor secrets are stored encrypted with a key from the environment (accounts.mfa)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse

from accounts.mfa import (
    decrypt_authenticators,
    decrypt_secret,
    encrypt_secret,
    reencrypt_authenticators,
)
from tests import settings_check
from tests.accounts.test_invitations import totp_now
from tests.settings_check import production_without

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored_data(authenticator: Authenticator) -> str:
    """The row as the database holds it, past any model code."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT data::text FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        return cursor.fetchone()[0]


def sign_in(client, user, password: str, secret: str) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")


def test_it_stores_the_totp_secret_encrypted(user):
    authenticator = TOTP.activate(user, SECRET).instance
    assert SECRET not in stored_data(authenticator)
    assert authenticator.data["secret"].startswith("gAAAAA")
    assert decrypt_secret(authenticator.data["secret"]) == SECRET


def test_it_stores_the_recovery_seed_encrypted(user):
    codes = RecoveryCodes.activate(user)
    seed = decrypt_secret(codes.instance.data["seed"])
    assert len(seed) == 80
    assert seed not in stored_data(codes.instance)
    assert len(codes.generate_codes()) == 10


def test_it_signs_in_with_a_secret_enrolled_now(client, user, password):
    TOTP.activate(user, SECRET)
    sign_in(client, user, password, SECRET)


def test_it_signs_in_with_a_secret_stored_before_encryption(client, user, password):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": SECRET})
    sign_in(client, user, password, SECRET)


def test_the_migration_encrypts_legacy_rows_and_can_be_reversed(client, user, password):
    seed = "ab" * 40
    totp = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": SECRET}
    )
    recovery = Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": seed, "used_mask": 0}
    )
    codes = RecoveryCodes(recovery).generate_codes()

    assert reencrypt_authenticators(Authenticator) == 2
    totp.refresh_from_db()
    recovery.refresh_from_db()
    assert SECRET not in stored_data(totp)
    assert seed not in stored_data(recovery)
    assert recovery.data["used_mask"] == 0
    assert RecoveryCodes(recovery).generate_codes() == codes
    sign_in(client, user, password, SECRET)

    decrypt_authenticators(Authenticator)
    totp.refresh_from_db()
    assert totp.data == {"secret": SECRET}


def test_a_secret_under_the_old_key_decrypts_after_rotation(settings, client, user, password):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    TOTP.activate(user, SECRET)
    under_old_key = Authenticator.objects.get(user=user).data["secret"]

    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert decrypt_secret(under_old_key) == SECRET
    sign_in(client, user, password, SECRET)
    client.logout()

    # after re-encryption the old key may go
    reencrypt_authenticators()
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_secret(Authenticator.objects.get(user=user).data["secret"]) == SECRET
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        decrypt_secret(under_old_key)


def test_new_secrets_are_encrypted_with_the_first_key(settings):
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    token = encrypt_secret(SECRET)
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_secret(token) == SECRET


def test_a_wrong_key_is_an_error_not_a_plaintext_fallback(settings):
    token = encrypt_secret(SECRET)
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured):
        decrypt_secret(token)


def run_check(env: dict[str, str]):
    return settings_check.run_check({**production_without("MFA_ENCRYPTION_KEYS"), **env})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "MFA_ENCRYPTION_KEYS must be set when DEBUG is off"),
        ({"MFA_ENCRYPTION_KEYS": "not-a-fernet-key"}, "MFA_ENCRYPTION_KEYS must be Fernet keys"),
    ],
)
def test_production_refuses_to_start_without_a_valid_key(env, message):
    result = run_check(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_a_rotated_key_list():
    result = run_check({"MFA_ENCRYPTION_KEYS": f"{NEW_KEY},{OLD_KEY}"})
    assert result.returncode == 0, result.stderr
