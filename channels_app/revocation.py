"""Tell a user's open sockets, in every process, that a right may have been taken away.

Each of these changes sends ``rights.changed`` (after commit) to the user's sockets, which
check their rights afresh and close if they are gone: deactivation, superuser status,
organisation memberships and roles (verification; also a role emptied or deleted). Changes to
passwords, e-mail addresses and second factors send it from ``accounts.signals``, which also
logs them. A deleted session (signing out, ``clearsessions``, an administrator ending it)
closes the sockets opened with it and deletes the push subscriptions made in it. Sockets also
check before every frame, so nothing depends on these events arriving; they make the end
immediate for a socket that is only listening. Deactivation and lost verification also delete
the user's push subscriptions.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from channels_app.push import forget_session, forget_unless_allowed
from core.protocol import end_session_sockets
from core.protocol import rights_changed as _rights_changed


def rights_changed(user_id: int) -> None:
    """Tell the user's sockets; and, once committed, delete the user's push subscriptions if
    the user is deactivated or no longer verified (nothing is pushed to them)."""
    _rights_changed(user_id)
    forget_unless_allowed(user_id)


#: fields of the user whose change can end rights (credentials: accounts.signals); a superuser
#: counts as verified (``directory.access.is_verified``)
WATCHED_FIELDS = ("is_active", "is_superuser")


def _remember_user(sender, instance: Any, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (
        update_fields is not None and not set(update_fields) & set(WATCHED_FIELDS)
    ):
        instance._rights_before = None
        return
    instance._rights_before = (
        sender.objects.filter(pk=instance.pk).values_list(*WATCHED_FIELDS).first()
    )


def _user_saved(sender, instance: Any, created: bool, **kwargs) -> None:
    before = getattr(instance, "_rights_before", None)
    if before is not None and before != tuple(getattr(instance, f) for f in WATCHED_FIELDS):
        rights_changed(instance.pk)


def _user_groups_changed(sender, instance: Any, action: str, reverse: bool, pk_set, **kwargs):
    if reverse and action == "pre_clear":
        # a role emptied (``group.user_set.clear()``): Django names nobody in ``post_clear``
        instance._members_before_clear = _members_of(instance)
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        rights_changed(instance.pk)
    else:  # users added to or removed from a group (a role)
        if action == "post_clear":
            pk_set = getattr(instance, "_members_before_clear", ())
        for user_id in pk_set or ():
            rights_changed(user_id)


def _members_of(group: Any) -> list[int]:
    return list(group.user_set.values_list("pk", flat=True))


def _group_deleted(sender, instance: Any, **kwargs) -> None:
    """A role deleted takes its members' rights with it, without an ``m2m_changed``."""
    for user_id in _members_of(instance):
        rights_changed(user_id)  # sent once the deletion commits


def _of_user(sender, instance: Any, **kwargs) -> None:
    rights_changed(instance.user_id)


def _of_professional(sender, instance: Any, **kwargs) -> None:
    from directory.models import Professional

    user_id = (
        Professional.objects.filter(pk=instance.professional_id)
        .values_list("user_id", flat=True)
        .first()
    )
    if user_id is not None:
        rights_changed(user_id)


def _user_deleted(sender, instance: Any, **kwargs) -> None:
    rights_changed(instance.pk)


def _session_deleted(sender, instance: Session, **kwargs) -> None:
    key = instance.session_key
    forget_session(key)  # signed out there: that browser's devices get no more pushes
    user_id = instance.get_decoded().get(SESSION_KEY)
    if user_id is not None:
        rights_changed(user_id)  # a frame racing the close below is checked in full
    end_session_sockets(key)


def connect() -> None:
    from django.contrib.auth.models import Group

    from directory.models import Membership, Professional

    user = get_user_model()
    uid = "channels_app.revocation"
    pre_save.connect(_remember_user, sender=user, dispatch_uid=uid)
    post_save.connect(_user_saved, sender=user, dispatch_uid=uid)
    m2m_changed.connect(_user_groups_changed, sender=user.groups.through, dispatch_uid=uid)
    post_delete.connect(_user_deleted, sender=user, dispatch_uid=uid)
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid=uid)
    post_save.connect(_of_user, sender=Professional, dispatch_uid=uid)
    post_save.connect(_of_professional, sender=Membership, dispatch_uid=uid)
    post_delete.connect(_of_professional, sender=Membership, dispatch_uid=uid)
    post_delete.connect(_session_deleted, sender=Session, dispatch_uid=uid)
