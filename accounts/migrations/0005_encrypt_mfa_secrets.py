"""Encrypt the second-factor secrets stored before accounts.mfa.MFAAdapter existed.

Uses the keys in MFA_ENCRYPTION_KEYS at the time it runs. Reversing it writes the secrets back
in plaintext, for a rollback to a release that cannot decrypt them.
"""

from django.db import migrations


def encrypt(apps, schema_editor):
    from accounts.mfa import reencrypt_authenticators

    reencrypt_authenticators(apps.get_model("mfa", "Authenticator"))


def decrypt(apps, schema_editor):
    from accounts.mfa import decrypt_authenticators

    decrypt_authenticators(apps.get_model("mfa", "Authenticator"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_display_name_index"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt, decrypt)]
