"""Case-room membership follows the consent, not only at the door.

``access.is_covered`` decides at every access whether a member still works, verified, for an
organisation the room's consent covers. This module keeps the stored state in step with it:
when someone's verified organisations or a room's consent change, members who fell out are
marked suspended (logged, their open sockets closed, the coordinator told); members covered
again are restored. The mark is for people and the log; the access check never relies on it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from channels_app import notifications
from core.links import absolute_url
from core.protocol import broadcast_after_commit, rights_changed
from privacy import access, audit
from privacy.models import CaseMember, CaseRoom, Consent


def review_user(user_id: int) -> None:
    """Suspend or restore every active case membership of one user."""
    memberships = CaseMember.objects.filter(
        user_id=user_id, status=CaseMember.Status.ACTIVE, role=CaseMember.Role.MEMBER
    ).select_related("room", "room__coordinator", "user")
    for membership in memberships:
        _review(membership)


def review_room(room: CaseRoom) -> None:
    """Suspend or restore every active member of one room (its consent changed)."""
    memberships = CaseMember.objects.filter(
        room=room, status=CaseMember.Status.ACTIVE, role=CaseMember.Role.MEMBER
    ).select_related("room", "room__coordinator", "user")
    for membership in memberships:
        _review(membership)


def _review(membership: CaseMember) -> None:
    covered = access.is_covered(membership.room, membership)
    if covered == (membership.suspended_at is None):
        return
    membership.suspended_at = None if covered else timezone.now()
    membership.save(update_fields=["suspended_at"])
    room = membership.room
    audit.record(
        action=audit.Action.UPDATE,
        user=None,
        object_type="case_member",
        object_id=membership.user_id,
        room_id=room.pk,
        role="system",
        detail="restored: covered by the consent again"
        if covered
        else "suspended: no longer works for an organisation the consent covers",
    )
    if not covered:
        rights_changed(membership.user_id)
        _tell_coordinator(room, membership)
    broadcast_after_commit(room.group_name, {"type": "members.changed", "room": room.pk})


def _tell_coordinator(room: CaseRoom, membership: CaseMember) -> None:
    """An e-mail and a live notification; like every case e-mail, without the pseudonym."""
    coordinator = room.coordinator
    context = {
        "site_name": settings.SITE_NAME,
        "member": membership.user.display_name,
        "url": absolute_url(reverse("privacy:members", args=[room.pk])),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("privacy/email/member_suspended_subject.txt", context).strip()
        body = render_to_string("privacy/email/member_suspended_message.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, None, [coordinator.email], fail_silently=True)
    )
    notifications.notify_elsewhere(
        [coordinator.pk],
        notifications.Kind.CASE_MEMBER_SUSPENDED,
        link=reverse("privacy:members", args=[room.pk]),
        actor=membership.user,
    )


# ---- what sets a review off ---------------------------------------------------------------


def _organisation_membership_changed(sender, instance, **kwargs) -> None:
    user_id = instance.professional.user_id
    transaction.on_commit(lambda: _review_later(user_id))


def _review_later(user_id: int) -> None:
    with transaction.atomic():
        review_user(user_id)


def _consent_saved(sender, instance: Consent, **kwargs) -> None:
    room = instance.room
    transaction.on_commit(lambda: _review_room_later(room.pk))


def _consent_organisations_changed(sender, instance, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Consent):
        _consent_saved(sender, instance)


def _review_room_later(room_id: int) -> None:
    with transaction.atomic():
        room = CaseRoom.objects.filter(pk=room_id).first()
        if room is not None:
            review_room(room)


def connect() -> None:
    from directory.models import Membership

    uid = "privacy.coverage"
    post_save.connect(_organisation_membership_changed, sender=Membership, dispatch_uid=uid)
    post_delete.connect(_organisation_membership_changed, sender=Membership, dispatch_uid=uid)
    post_save.connect(_consent_saved, sender=Consent, dispatch_uid=uid)
    m2m_changed.connect(
        _consent_organisations_changed, sender=Consent.organisations.through, dispatch_uid=uid
    )
