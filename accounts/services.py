"""State changes for accounts: invitations and their acceptance."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, User


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
    request: HttpRequest,
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
        link = request.build_absolute_uri(reverse("accounts:accept_invitation", args=[token]))
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
