"""State changes for accounts: invitations and their acceptance; the administrator's steps
about someone else's credentials (a reset link, removing a lost second factor)."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import security_log
from accounts.models import Invitation, SecondFactorRemoval, SecurityEvent, User
from core.links import absolute_url

Kind = SecurityEvent.Kind


class InvitationRefused(Exception):
    """The invitation cannot be used; ``message`` says why in words for the invitee."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_can_invite(user: User) -> None:
    if not user.can_invite:
        raise PermissionError("Only administrators can invite people.")


def invite(
    *,
    email: str,
    display_name: str,
    roles: Iterable[Group],
    invited_by: User,
) -> Invitation:
    """Create an invitation and e-mail its link once the transaction commits."""
    check_can_invite(invited_by)
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("Someone with this e-mail address already has an account.")}
        )
    token, token_hash = Invitation.new_token()
    with transaction.atomic():
        # Earlier, unused invitations for the same address stop working: one live link per person.
        Invitation.objects.pending().filter(email__iexact=email).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            email=email, display_name=display_name, token_hash=token_hash, invited_by=invited_by
        )
        invitation.roles.set(roles)
        link = absolute_url(reverse("accounts:accept_invitation", args=[token]))
        transaction.on_commit(lambda: _send_invitation(invitation, link))
    return invitation


def _send_invitation(invitation: Invitation, link: str) -> None:
    context = {
        "invitation": invitation,
        "link": link,
        "site_name": settings.SITE_NAME,
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(subject, body, None, [invitation.email])


def revoke(invitation: Invitation, *, by: User) -> None:
    check_can_invite(by)
    if invitation.status == "pending":
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def usable_invitation(token: str) -> Invitation:
    """Return the pending invitation for ``token`` or raise ``InvitationRefused``."""
    invitation = Invitation.objects.filter(token_hash=Invitation.hash_token(token)).first()
    _check_usable(invitation)
    assert invitation is not None
    return invitation


def _check_usable(invitation: Invitation | None) -> None:
    if invitation is None or invitation.status == "revoked":
        raise InvitationRefused(
            _("This invitation link is not valid. Ask whoever invited you for a new invitation.")
        )
    if invitation.status == "accepted":
        raise InvitationRefused(
            _("This invitation has already been used. Sign in with your e-mail and password.")
        )
    if invitation.status == "expired":
        raise InvitationRefused(
            _("This invitation has expired. Ask whoever invited you for a new invitation.")
        )


def accept_invitation(token: str, *, display_name: str, password: str) -> User:
    """Create the invitee's account with a verified e-mail address; the link is then spent."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
        _check_usable(invitation)
        assert invitation is not None
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationRefused(
                _("Someone with this e-mail address already has an account. Sign in instead.")
            )
        user = User.objects.create_user(
            email=invitation.email, password=password, display_name=display_name
        )
        user.groups.set(invitation.roles.all())
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
    return user


# ---- an administrator's steps about someone else's credentials --------------------------------
#
# Administrators never hold another person's password or second factor. They can mail a reset
# link to the person's own address, and ask for a lost second factor to be removed: the person
# confirms through a link mailed to their own address (with their password), or a second,
# different administrator approves. Each step is in the security log.


class RemovalRefused(Exception):
    """The removal cannot go ahead; ``message`` says why, for the person or administrator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_is_administrator(user: User) -> None:
    if not (user.is_active and user.is_staff and user.is_platform_admin):
        raise PermissionDenied


def send_password_reset(user: User, *, by: User, request: HttpRequest) -> bool:
    """Mail allauth's reset link to ``user``'s own address; the administrator never sees it."""
    check_is_administrator(by)
    if not user.is_active:
        return False
    form = ResetPasswordForm(data={"email": user.email})
    if not form.is_valid() or not any(found.pk == user.pk for found in form.users):
        return False
    form.save(request)
    security_log.record(Kind.RESET_LINK_SENT, user=user, actor=by, request=request)
    return True


_REMOVAL_SALT = "accounts.second-factor-removal"


def removal_token(removal: SecondFactorRemoval) -> str:
    return signing.TimestampSigner(salt=_REMOVAL_SALT).sign(f"{removal.pk}.{removal.user_id}")


def has_second_factor(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def request_second_factor_removal(
    user: User, *, by: User, request: HttpRequest
) -> SecondFactorRemoval | None:
    """Open a removal request for ``user``'s second factor and mail them the confirmation
    link. None if they have no second factor or a request is already open."""
    check_is_administrator(by)
    if not has_second_factor(user):
        return None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time
        if SecondFactorRemoval.objects.pending().filter(user=user).exists():
            return None
        removal = SecondFactorRemoval.objects.create(user=user, requested_by=by)
        link = absolute_url(
            reverse("accounts:confirm_second_factor_removal", args=[removal_token(removal)])
        )
        security_log.record(Kind.REMOVAL_REQUESTED, user=user, actor=by, request=request)
        context = {
            "name": user.display_name or user.email,
            "requested_by": by.display_name,
            "link": link,
            "valid_hours": int(SecondFactorRemoval.VALID_FOR.total_seconds() // 3600),
            "site_name": settings.SITE_NAME,
        }
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string(
                "accounts/email/second_factor_removal_subject.txt", context
            ).strip()
            body = render_to_string("accounts/email/second_factor_removal_message.txt", context)
        address = user.email
        transaction.on_commit(lambda: send_mail(subject, body, None, [address]))
    return removal


def removal_for_token(token: str) -> SecondFactorRemoval:
    """The pending request behind a confirmation link, or ``RemovalRefused``."""
    try:
        value = signing.TimestampSigner(salt=_REMOVAL_SALT).unsign(
            token, max_age=SecondFactorRemoval.VALID_FOR
        )
        removal_id, user_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise RemovalRefused(
            _("This link is not valid or has expired. Ask the administrator for a new one.")
        ) from None
    removal = (
        SecondFactorRemoval.objects.select_related("user", "requested_by")
        .filter(pk=removal_id, user_id=user_id)
        .first()
    )
    if removal is None or not removal.is_pending:
        raise RemovalRefused(
            _("This link has been used or withdrawn. Ask the administrator for a new one.")
        )
    return removal


def confirm_second_factor_removal(
    token: str, *, password: str, request: HttpRequest
) -> SecondFactorRemoval:
    """The person confirms through the mailed link, with their password: the second factor and
    its recovery codes are removed. Nobody is signed in by this."""
    removal = removal_for_token(token)
    user = removal.user
    if not user.is_active or not user.check_password(password):
        security_log.record(
            Kind.REMOVAL_REFUSED, user=user, request=request, detail="wrong password"
        )
        raise RemovalRefused(_("That is not the password of this account."))
    with transaction.atomic():
        removal = (
            SecondFactorRemoval.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .get(pk=removal.pk)
        )
        if not removal.is_pending:
            raise RemovalRefused(_("This link has been used or withdrawn."))
        _complete(removal, SecondFactorRemoval.Status.CONFIRMED)
        security_log.record(
            Kind.REMOVAL_CONFIRMED,
            user=user,
            actor=user,
            request=request,
            detail=f"requested by {removal.requested_by}",
        )
        _remove_second_factor(user)
    return removal


def approve_second_factor_removal(
    removal: SecondFactorRemoval, *, by: User, request: HttpRequest
) -> None:
    """A second administrator approves: the second factor and recovery codes are removed.
    The administrator who asked, and the person themselves, cannot approve."""
    check_is_administrator(by)
    refusal = None
    if removal.requested_by_id == by.pk:
        refusal = _("A second administrator must approve the request, not the one who made it.")
    elif removal.user_id == by.pk:
        refusal = _("Confirm the removal of your own second factor through the e-mailed link.")
    if refusal is not None:
        security_log.record(
            Kind.REMOVAL_REFUSED, user=removal.user, actor=by, request=request, detail="approval"
        )
        raise RemovalRefused(refusal)
    with transaction.atomic():
        removal = (
            SecondFactorRemoval.objects.select_for_update(of=("self",))
            .select_related("user", "requested_by")
            .get(pk=removal.pk)
        )
        if not removal.is_pending:
            raise RemovalRefused(_("This request is no longer open."))
        removal.approved_by = by
        _complete(removal, SecondFactorRemoval.Status.APPROVED)
        security_log.record(
            Kind.REMOVAL_APPROVED,
            user=removal.user,
            actor=by,
            request=request,
            detail=f"requested by {removal.requested_by}",
        )
        _remove_second_factor(removal.user)


def _complete(removal: SecondFactorRemoval, status: str) -> None:
    removal.status = status
    removal.completed_at = timezone.now()
    removal.save(update_fields=["status", "approved_by", "completed_at"])


def _remove_second_factor(user: User) -> None:
    # Each removed TOTP authenticator is logged, mailed and ends case-room access through
    # accounts.signals; the recovery codes go with it.
    for authenticator in Authenticator.objects.filter(user=user):
        authenticator.delete()
