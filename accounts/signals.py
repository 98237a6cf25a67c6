"""What writes the security log (``accounts.security_log``).

Model signals catch every change to a password, an e-mail address or a second factor, whatever
made it: allauth's pages, the admin or plain code. allauth's own signals add what the models
cannot see: regenerated recovery codes and refused second-factor codes.

- ``User``: the password hash or the e-mail address differs from the stored row. A first
  password (the account's creation), a rehash of the same password and the same password set
  again are not changes.
- ``EmailAddress``: added, verified, changed or removed; not the first address of a new
  account.
- ``Authenticator``: a TOTP authenticator added or removed. Recovery codes come and go with it;
  their regeneration arrives through allauth's ``authenticator_reset``.
"""

from __future__ import annotations

import threading
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import check_password
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from accounts import security_log
from accounts.models import SecurityEvent, User

Kind = SecurityEvent.Kind

# The URL name of allauth's "new password from an e-mailed link" page.
RESET_FROM_KEY = "account_reset_password_from_key"

# Accounts being deleted in this thread: their addresses and authenticators go with them, which
# is no change to log (and a new log row would stop the deletion at its foreign key).
_deleting = threading.local()


def _being_deleted(user_id: int) -> bool:
    return user_id in getattr(_deleting, "ids", set())


def start_deleting(sender: Any, instance: User, **kwargs: Any) -> None:
    _deleting.ids = {*getattr(_deleting, "ids", set()), instance.pk}


def end_deleting(sender: Any, instance: User, **kwargs: Any) -> None:
    _deleting.ids = getattr(_deleting, "ids", set()) - {instance.pk}


# ---- the user row: password and primary address ----------------------------------------------


def remember_credentials(sender: Any, instance: User, raw: bool = False, **kwargs: Any) -> None:
    instance._credential_changes = []
    if raw or instance._state.adding or instance.pk is None:
        return
    watched = {"password", "email", "credentials_changed_at"}
    update_fields = kwargs.get("update_fields")
    if update_fields is not None:
        watched &= set(update_fields)
    if getattr(instance, "_rehashing_password", False):
        watched.discard("password")
    if not watched:
        return
    stored = (
        User.objects.filter(pk=instance.pk)
        .values("password", "email", "credentials_changed_at")
        .first()
    )
    if stored is None:
        return
    # A copy of the user loaded before a change elsewhere must not, by saving, reopen what that
    # change closed: the moment only moves forward.
    if "credentials_changed_at" in watched and stored["credentials_changed_at"] is not None:
        mine = instance.credentials_changed_at
        if mine is None or mine < stored["credentials_changed_at"]:
            instance.credentials_changed_at = stored["credentials_changed_at"]
    changes = []
    # An empty hash means no password was ever set: the account is only being created. The same
    # password set again (Django keeps it in ``_password`` until the save) is no change either.
    if "password" in watched and stored["password"] and stored["password"] != instance.password:
        raw = getattr(instance, "_password", None)
        if raw is None or not check_password(raw, stored["password"]):
            changes.append(("password", stored["password"]))
    if "email" in watched and stored["email"].lower() != (instance.email or "").lower():
        changes.append(("email", stored["email"]))
    instance._credential_changes = changes


def record_credentials(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    changes = getattr(instance, "_credential_changes", [])
    instance._credential_changes = []
    for field, old in changes:
        if field == "password":
            security_log.record(_password_kind(old), user=instance)
        else:
            security_log.record(
                Kind.EMAIL_CHANGED,
                user=instance,
                detail=f"{old} → {instance.email}",
                also_notify=[old],
            )


def _password_kind(old_hash: str) -> str:
    request = security_log.current_request()
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == RESET_FROM_KEY:
        return Kind.PASSWORD_RESET
    if old_hash.startswith("!"):  # Django's mark for "no usable password"
        return Kind.PASSWORD_SET
    return Kind.PASSWORD_CHANGED


# ---- e-mail addresses ------------------------------------------------------------------------


def remember_address(sender: Any, instance: EmailAddress, raw: bool = False, **kw: Any) -> None:
    instance._stored_address = None
    if raw or instance.pk is None:
        return
    instance._stored_address = (
        EmailAddress.objects.filter(pk=instance.pk).values("email", "verified").first()
    )


def record_address(sender: Any, instance: EmailAddress, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    user = instance.user
    if created:
        first = not EmailAddress.objects.filter(user=user).exclude(pk=instance.pk).exists()
        if first and instance.email.lower() == user.email.lower():
            return  # the account's own address, made with the account
        security_log.record(Kind.EMAIL_ADDED, user=user, detail=_describe(instance))
        return
    stored = getattr(instance, "_stored_address", None)
    if stored is None:
        return
    if stored["email"].lower() != instance.email.lower():
        security_log.record(
            Kind.EMAIL_ADDED,
            user=user,
            detail=f"{stored['email']} → {_describe(instance)}",
            also_notify=[stored["email"]],
        )
    elif instance.verified and not stored["verified"]:
        security_log.record(Kind.EMAIL_VERIFIED, user=user, detail=instance.email)


def record_address_removed(sender: Any, instance: EmailAddress, **kwargs: Any) -> None:
    if _being_deleted(instance.user_id):
        return
    user = User.objects.filter(pk=instance.user_id).first()
    if user is None:
        return
    security_log.record(
        Kind.EMAIL_REMOVED, user=user, detail=instance.email, also_notify=[instance.email]
    )


def _describe(address: EmailAddress) -> str:
    return f"{address.email} ({'verified' if address.verified else 'unverified'})"


# ---- second factors --------------------------------------------------------------------------


def record_authenticator_added(
    sender: Any, instance: Authenticator, created: bool, **kwargs: Any
) -> None:
    if created and not kwargs.get("raw") and instance.type == Authenticator.Type.TOTP:
        security_log.record(Kind.SECOND_FACTOR_ADDED, user=instance.user)


def record_authenticator_removed(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    if instance.type != Authenticator.Type.TOTP or _being_deleted(instance.user_id):
        return
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        security_log.record(Kind.SECOND_FACTOR_REMOVED, user=user)


def record_recovery_codes_reset(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    security_log.record(Kind.RECOVERY_CODES_REGENERATED, user=user, request=request)


def record_refused_code(
    sender: Any, request: Any, user: User, reauthentication: bool = False, **kwargs: Any
) -> None:
    """A wrong second-factor code: at a step-up (case rooms, account settings) or at sign-in."""
    kind = Kind.STEP_UP_REFUSED if reauthentication else Kind.SIGN_IN_REFUSED
    # At sign-in nobody is signed in yet: the actor stays unknown (someone with the password).
    security_log.record(kind, user=user, request=request)


def connect() -> None:
    pre_delete.connect(start_deleting, sender=User, dispatch_uid="accounts.deleting")
    post_delete.connect(end_deleting, sender=User, dispatch_uid="accounts.deleting")
    pre_save.connect(remember_credentials, sender=User, dispatch_uid="accounts.credentials")
    post_save.connect(record_credentials, sender=User, dispatch_uid="accounts.credentials")
    pre_save.connect(remember_address, sender=EmailAddress, dispatch_uid="accounts.address")
    post_save.connect(record_address, sender=EmailAddress, dispatch_uid="accounts.address")
    post_delete.connect(
        record_address_removed, sender=EmailAddress, dispatch_uid="accounts.address"
    )
    post_save.connect(
        record_authenticator_added, sender=Authenticator, dispatch_uid="accounts.second_factor"
    )
    post_delete.connect(
        record_authenticator_removed, sender=Authenticator, dispatch_uid="accounts.second_factor"
    )
    mfa_signals.authenticator_reset.connect(
        record_recovery_codes_reset, dispatch_uid="accounts.recovery_codes"
    )
    mfa_signals.authentication_failed.connect(
        record_refused_code, dispatch_uid="accounts.refused_code"
    )
