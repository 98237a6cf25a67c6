"""Every state change in case rooms: check, write in a transaction, log, broadcast after commit.

Each function that touches case content writes its access-log entry in the same transaction,
so content never changes without a trace. Broadcasts go to ``case.<id>`` (the room's sockets)
and ``case.<id>.user.<id>`` (one member's sockets in that room); notifications and e-mails about
case rooms never carry content or the pseudonym.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from copy import copy
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from channels_app import notifications
from core import metrics
from core.chat import RateLimited
from core.engine import ChatEngine, Extra
from core.files import Sniffed, accepted, delete_stored, stored_upload
from core.links import absolute_url
from core.protocol import broadcast_after_commit
from directory.access import is_verified, organisation_ids_of
from directory.models import Organisation
from privacy import access, audit, policy
from privacy.access import CaseAccess
from privacy.models import (
    DIMENSIONS,
    Agreement,
    CaseFile,
    CaseMember,
    CaseMessage,
    CaseRoom,
    Consent,
    Goal,
    HealthRecord,
    PlanStatus,
)

__all__ = ["RateLimited"]

Action = audit.Action
logger = logging.getLogger(__name__)


def member_group(room_id: int, user_id: int) -> str:
    return f"case.{room_id}.user.{user_id}"


def _log(
    rights: CaseAccess | None,
    user: User | None,
    action: str,
    object_type: str,
    object_id: Any,
    *,
    room: CaseRoom,
    address: str | None = None,
    detail: str = "",
    purpose: str | None = None,
) -> None:
    audit.record(
        action=action,
        user=user,
        object_type=object_type,
        object_id=object_id,
        room_id=room.pk,
        role=rights.role if rights else "",
        purpose=purpose or (rights.purpose if rights else audit.Purpose.CARE),
        address=address,
        detail=detail,
    )


def _require(check: bool) -> None:
    if not check:
        raise PermissionDenied


def _rights(room: CaseRoom, user: User) -> CaseAccess:
    return access.access_for(user, room)


def _require_writable(rights: CaseAccess) -> None:
    _require(rights.is_member)
    if not rights.can_write:
        raise ValidationError(
            _(
                "This case room takes no new content: it is closed, or the consent has been "
                "withdrawn or has expired."
            ),
            code="content_stopped",
        )


# ---- rooms ---------------------------------------------------------------------------------


@transaction.atomic
def create_room(
    *, by: User, pseudonym: str, purpose: str, legal_ground: str, address: str | None = None
) -> CaseRoom:
    """A new case room with ``by`` as coordinator; nobody else is in until consent is recorded."""
    _require(is_verified(by))
    room = CaseRoom(
        pseudonym=pseudonym.strip(),
        purpose=purpose.strip(),
        legal_ground=legal_ground,
        coordinator=by,
        created_by=by,
    )
    room.full_clean()
    room.save()
    organisations = organisation_ids_of(by)
    CaseMember.objects.create(
        room=room,
        user=by,
        role=CaseMember.Role.COORDINATOR,
        status=CaseMember.Status.ACTIVE,
        organisation_id=min(organisations) if organisations else None,
        invited_by=by,
        joined_at=timezone.now(),
    )
    _log(_rights(room, by), by, Action.CREATE, "case_room", room.pk, room=room, address=address)
    return room


@transaction.atomic
def update_room(
    room: CaseRoom,
    *,
    by: User,
    pseudonym: str,
    purpose: str,
    legal_ground: str,
    address: str | None = None,
) -> CaseRoom:
    rights = _rights(room, by)
    _require(rights.is_coordinator)
    if not room.is_open:
        raise ValidationError(_("A closed case room cannot be changed."))
    room.pseudonym, room.purpose, room.legal_ground = (
        pseudonym.strip(),
        purpose.strip(),
        legal_ground,
    )
    room.full_clean()
    room.save(update_fields=["pseudonym", "purpose", "legal_ground"])
    _log(rights, by, Action.UPDATE, "case_room", room.pk, room=room, address=address)
    return room


def _stop_content(room: CaseRoom, *, close: bool) -> None:
    """No new content from now on; the retention period starts counting.

    Closing also sets the status; a withdrawal leaves the room open, so that new consent can
    put it back in use (``record_consent``).
    """
    now = timezone.now()
    room.content_stopped_at = room.content_stopped_at or now
    fields = ["content_stopped_at"]
    if close:
        room.status = CaseRoom.Status.CLOSED
        room.closed_at = room.closed_at or now
        fields += ["status", "closed_at"]
    room.save(update_fields=fields)


def _places(room: CaseRoom) -> QuerySet[CaseMember]:
    return CaseMember.objects.filter(
        room=room, status__in=[CaseMember.Status.ACTIVE, CaseMember.Status.INVITED]
    )


def _end_places(
    room: CaseRoom, rights: CaseAccess, by: User, *, reason: str, address: str | None
) -> list[CaseMember]:
    """End every membership and invitation ``policy`` no longer allows; their pages stop."""
    ended = policy.places_to_end(room, _places(room).select_for_update())
    now = timezone.now()
    for membership in ended:
        invited = membership.status == CaseMember.Status.INVITED
        kind = "invitation revoked" if invited else "access ended"
        membership.status = CaseMember.Status.REMOVED
        membership.removed_at = now
        membership.save(update_fields=["status", "removed_at"])
        _log(rights, by, Action.DELETE, "case_member", membership.user_id, room=room,
             address=address, detail=f"{kind}: {reason.replace('_', ' ')}")  # fmt: skip
        broadcast_after_commit(
            member_group(room.pk, membership.user_id),
            {"type": "membership.removed", "room": room.pk, "reason": reason},
            close=True,
        )
    return ended


def _tell_those_left(room: CaseRoom, *frames: dict[str, Any]) -> None:
    """Send ``frames`` to the sockets of whoever still reads ``room`` (``policy``), one by one.

    Not to the whole room: sends to different groups may arrive in any order, and a frame for
    the room reaching someone whose place just ended would close their socket before their own
    ``membership.removed`` says why.
    """
    for membership in CaseMember.objects.filter(room=room, status=CaseMember.Status.ACTIVE):
        if policy.may_read_after(room, membership):
            for frame in frames:
                broadcast_after_commit(member_group(room.pk, membership.user_id), frame)


def _ending_places(room_after: CaseRoom) -> list[CaseMember]:
    places = _places(room_after).select_related("user", "organisation")
    return policy.places_to_end(room_after, places.order_by("user__display_name"))


def preview_closing(room: CaseRoom) -> list[CaseMember]:
    """Whose membership or invitation closing ``room`` now would end (for the confirmation)."""
    after = copy(room)
    after.status = CaseRoom.Status.CLOSED
    after.content_stopped_at = after.content_stopped_at or timezone.now()
    return _ending_places(after)


def preview_withdrawal(room: CaseRoom) -> list[CaseMember]:
    """Whose membership or invitation withdrawing the consent now would end."""
    after = copy(room)
    after.content_stopped_at = after.content_stopped_at or timezone.now()
    return _ending_places(after)


@transaction.atomic
def close_room(room: CaseRoom, *, by: User, address: str | None = None) -> None:
    """The work is done: no new content, and only the coordinator keeps reading (``policy``).

    Every other member loses access and open invitations are revoked, at once and on every open
    page. A closed room cannot be opened again.
    """
    room = CaseRoom.objects.select_for_update().get(pk=room.pk)
    rights = _rights(room, by)
    _require(rights.is_coordinator)
    if room.status == CaseRoom.Status.CLOSED:
        return
    _stop_content(room, close=True)
    _log(rights, by, Action.UPDATE, "case_room", room.pk, room=room, address=address,
         detail="closed")  # fmt: skip
    _end_places(room, rights, by, reason=policy.ROOM_CLOSED, address=address)
    _tell_those_left(room, {"type": "members.changed", "room": room.pk},
                     {"type": "room.closed", "room": room.pk})  # fmt: skip


# ---- consent -------------------------------------------------------------------------------


#: the longest a consent may run: consent is for a limited time (one year is common)
CONSENT_AT_MOST = timedelta(days=5 * 365 + 1)


@transaction.atomic
def record_consent(
    room: CaseRoom,
    *,
    by: User,
    given_by: str,
    given_on: date,
    valid_until: date,
    organisations: Iterable[Organisation],
    form: str = Consent.Form.VERBAL,
    given_by_description: str = "",
    address: str | None = None,
) -> Consent:
    """Record consent as the coordinator heard or received it; it replaces an earlier one.

    After a withdrawal this puts the room back in use (the retention clock stops); whoever lost
    access then is not let back in by this, but invited again (``invite``).
    """
    room = CaseRoom.objects.select_for_update().get(pk=room.pk)
    rights = _rights(room, by)
    _require(rights.is_coordinator)
    if not room.is_open:
        raise ValidationError(_("A closed case room cannot take new consent."))
    organisations = list(organisations)
    if not organisations:
        raise ValidationError({"organisations": _("Choose at least one organisation.")})
    if valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("This date has already passed.")})
    if valid_until > given_on + CONSENT_AT_MOST:
        raise ValidationError({"valid_until": _(
            "Consent is valid for at most five years after it was given; record it again then."
        )})  # fmt: skip
    consent = Consent(
        room=room,
        given_by=given_by,
        given_by_description=given_by_description.strip(),
        form=form,
        given_on=given_on,
        valid_until=valid_until,
        recorded_by=by,
    )
    consent.full_clean(exclude=["room", "recorded_by"])
    reopens = policy.consent_withdrawn(room)
    consent.save()
    consent.organisations.set(organisations)
    _log(rights, by, Action.CREATE, "consent", consent.pk, room=room, address=address)
    if reopens:
        room.content_stopped_at = None
        room.save(update_fields=["content_stopped_at"])
        _log(rights, by, Action.UPDATE, "case_room", room.pk, room=room, address=address,
             detail="in use again: new consent after a withdrawal")  # fmt: skip
    return consent


@transaction.atomic
def withdraw_consent(room: CaseRoom, *, by: User, address: str | None = None) -> Consent:
    """The resident withdrew consent (art. 7(3) GDPR); only the coordinator keeps reading.

    No new content from now on and the retention clock starts; every other member loses access
    and open invitations are revoked, at once and on every open page (``policy``). The room
    stays open so that new consent can put it back in use.
    """
    room = CaseRoom.objects.select_for_update().get(pk=room.pk)
    rights = _rights(room, by)
    _require(rights.is_coordinator)
    consent = access.current_consent(room)
    if consent is None or consent.withdrawn_at is not None:
        raise ValidationError(_("There is no consent to withdraw."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawal_recorded_by = by
    consent.save(update_fields=["withdrawn_at", "withdrawal_recorded_by"])
    _stop_content(room, close=False)
    _log(rights, by, Action.UPDATE, "consent", consent.pk, room=room, address=address,
         detail="withdrawn")  # fmt: skip
    _end_places(room, rights, by, reason=policy.CONSENT_WITHDRAWN, address=address)
    _tell_those_left(room, {"type": "members.changed", "room": room.pk},
                     {"type": "room.closed", "room": room.pk})  # fmt: skip
    return consent


# ---- members -------------------------------------------------------------------------------


def _quiet_email(user: User, template: str, context: dict[str, Any]) -> None:
    """An e-mail about a case room: who and where to look, never content or the pseudonym.

    The link is to the case rooms' overview, not the room: its address names no room either."""
    url = absolute_url(reverse("privacy:index"))
    context = {"site_name": settings.SITE_NAME, "url": url, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"privacy/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"privacy/email/{template}_message.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email], fail_silently=True))


def covered_organisation(room: CaseRoom, user: User) -> Organisation | None:
    """The organisation through which ``user`` falls under the room's current consent."""
    consent = access.current_consent(room)
    if consent is None or not consent.is_active:
        return None
    covered = access.covered_organisation_ids(consent, user)
    if not covered:
        return None
    return Organisation.objects.get(pk=min(covered))


@transaction.atomic
def invite(
    room: CaseRoom,
    *,
    by: User,
    user: User,
    address: str | None = None,
) -> CaseMember:
    """Invite a verified professional of an organisation the consent covers; else say why not."""
    room = CaseRoom.objects.select_for_update().get(pk=room.pk)
    rights = _rights(room, by)
    _require(rights.is_coordinator)
    name = user.display_name
    if not room.is_open:
        raise ValidationError(_("This case room is closed; nobody can be invited."))
    consent = access.current_consent(room)
    if consent is None:
        raise ValidationError(
            _("Record the resident's consent first: without it, only you are in this room.")
        )
    if not consent.is_active:
        raise ValidationError(
            _("The consent has been withdrawn or has expired; nobody can be invited.")
        )
    if not is_verified(user):
        raise ValidationError(
            _("%(name)s is not a verified professional, so cannot be invited.") % {"name": name}
        )
    organisation = covered_organisation(room, user)
    if organisation is None:
        raise ValidationError(
            _(
                "%(name)s does not work for an organisation the consent covers. Only "
                "professionals of %(organisations)s can be invited; ask the resident to extend "
                "the consent first."
            )
            % {
                "name": name,
                "organisations": ", ".join(o.name for o in consent.organisations.order_by("name")),
            }
        )
    membership = CaseMember.objects.filter(room=room, user=user).first()
    if membership is not None and membership.status in (
        CaseMember.Status.ACTIVE,
        CaseMember.Status.INVITED,
    ):
        raise ValidationError(
            _("%(name)s is already a member or invited.") % {"name": name}, code="duplicate"
        )
    if membership is None:
        membership = CaseMember(room=room, user=user)
    membership.status = CaseMember.Status.INVITED
    membership.role = CaseMember.Role.MEMBER
    membership.organisation = organisation
    membership.invited_by = by
    membership.invited_at = timezone.now()
    membership.removed_at = None
    membership.save()
    _log(rights, by, Action.CREATE, "case_member", user.pk, room=room, address=address,
         detail="invited")  # fmt: skip
    # the invitation's page, by the room's number: nothing of what the room is about
    notifications.notify_elsewhere(
        [user.pk],
        notifications.Kind.CASE_INVITATION,
        link=reverse("privacy:join", args=[room.pk]),
        actor=by,
    )
    _quiet_email(user, "invitation", {"inviter": by.display_name})
    return membership


@transaction.atomic
def respond(room: CaseRoom, *, user: User, accept: bool, address: str | None = None) -> None:
    membership = (
        CaseMember.objects.select_for_update()
        .filter(room=room, user=user, status=CaseMember.Status.INVITED)
        .first()
    )
    if membership is None:
        raise PermissionDenied
    if accept and covered_organisation(room, user) is None:
        raise ValidationError(
            _("The consent no longer covers your organisation; you cannot join this room.")
        )
    membership.status = CaseMember.Status.ACTIVE if accept else CaseMember.Status.DECLINED
    membership.joined_at = timezone.now() if accept else None
    membership.last_read_seq = 0
    membership.save(update_fields=["status", "joined_at", "last_read_seq"])
    # a decline leaves no role in the room; the purpose is still the invitation's
    _log(_rights(room, user), user, Action.UPDATE, "case_member", user.pk, room=room,
         address=address, detail="accepted" if accept else "declined",
         purpose=audit.Purpose.CARE)  # fmt: skip
    if accept:
        broadcast_after_commit(room.group_name, {"type": "members.changed", "room": room.pk})


@transaction.atomic
def remove_member(
    room: CaseRoom, *, by: User, user: User, address: str | None = None
) -> CaseMember:
    """Take someone out of the room; their open sockets for this room are closed at once."""
    rights = _rights(room, by)
    _require(rights.is_coordinator)
    membership = (
        CaseMember.objects.select_for_update()
        .filter(
            room=room, user=user, status__in=[CaseMember.Status.ACTIVE, CaseMember.Status.INVITED]
        )
        .first()
    )
    if membership is None:
        raise ValidationError(_("This person is not in the room."))
    if membership.role == CaseMember.Role.COORDINATOR:
        raise ValidationError(_("The coordinator cannot be removed."))
    membership.status = CaseMember.Status.REMOVED
    membership.removed_at = timezone.now()
    membership.save(update_fields=["status", "removed_at"])
    _log(rights, by, Action.DELETE, "case_member", user.pk, room=room, address=address)
    broadcast_after_commit(
        member_group(room.pk, user.pk),
        {"type": "membership.removed", "room": room.pk},
        close=True,
    )
    broadcast_after_commit(room.group_name, {"type": "members.changed", "room": room.pk})
    return membership


# ---- messages and files ----------------------------------------------------------------------


def message_frame(message: CaseMessage, language: str | None = None) -> dict[str, Any]:
    """The frame for ``message``, with its row as the room's page shows it (``rows``: in every
    language, or in ``language`` only)."""
    rows = CASE_ROOMS.rows(message, [language] if language else None)
    return {
        "type": "message.created",
        "room": message.room_id,
        "id": message.pk,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": {"id": message.author_id, "name": message.author.display_name},
        "html": str(message.body_html),
        "created_at": message.created_at.isoformat(),
        "files": [
            {
                "name": f.name,
                "url": reverse("privacy:file", args=[message.room_id, f.pk]),
                "size": f.size,
            }
            for f in message.files.all()
        ],
        "rows": rows,
    }


class CaseRooms(ChatEngine[CaseMessage]):
    """Case rooms on the chat engine: only active, covered members post while the consent
    holds; every message is written to the access log with the post; files come with it."""

    room_model = CaseRoom
    message_model = CaseMessage
    member_model = CaseMember
    prefetch = ("files",)
    related = ("author__professional",)  # the avatar
    row_template = "privacy/includes/message.html"

    def post(
        self,
        room_id: int,
        *,
        uploads: Iterable[Any] = (),
        address: str | None = None,
        **fields: Any,
    ) -> tuple[CaseMessage, bool]:
        """Store a message (with files) and broadcast it; a retried ``client_id`` stores nothing.

        Returns (message, created). Raises PermissionDenied (not a member), ValidationError
        (bad body, content stopped, refused file) or RateLimited. Files written for a message
        that is then not stored are deleted again: a failed post leaves nothing on disk.
        (Callers run this in autocommit, as the views and the socket do; an outer transaction
        rolled back later would leave its files behind.)
        """
        uploads = list(uploads)
        extra = {"uploads": uploads, "stored": [], "address": address}
        return super().post(room_id, allow_empty=bool(uploads), **extra, **fields)

    def may_post(self, user: User, room: CaseRoom) -> CaseAccess:
        rights = _rights(room, user)
        _require_writable(rights)
        return rights

    def seen_again(self, message: CaseMessage, user: User) -> None:
        _require(_rights(message.room, user).is_member)

    def check(self, room: CaseRoom, author: User, extra: Extra) -> None:
        """A file no message may carry is refused before a token of the rate limit is spent;
        ``posted`` stores the files with the types found here."""
        extra["sniffed"] = [accepted(upload) for upload in extra["uploads"]]

    def metric_kind(self, room: CaseRoom) -> str:
        return metrics.CASE_ROOM

    def posted(
        self, message: CaseMessage, room: CaseRoom, rights: CaseAccess, extra: Extra
    ) -> None:
        for upload, sniffed in zip(extra["uploads"], extra["sniffed"], strict=True):
            _store_file(room, message, message.author, upload, sniffed, extra["stored"])
        _log(rights, message.author, Action.CREATE, "case_message", message.pk, room=room,
             address=extra["address"])  # fmt: skip
        # the other members' devices learn that there is something new, not what or where
        readers = room.members.filter(
            status=CaseMember.Status.ACTIVE, suspended_at__isnull=True
        ).exclude(user_id=message.author_id)
        notifications.push_elsewhere(
            readers.values_list("user_id", flat=True),
            notifications.CASE_MESSAGE,
            link=reverse("privacy:room", args=[room.pk]),
        )

    def abandon(self, extra: Extra) -> None:
        delete_stored(CaseFile, extra["stored"])
        extra["stored"].clear()

    def frame(self, message: CaseMessage, language: str | None = None) -> dict[str, Any]:
        return message_frame(message, language)


CASE_ROOMS = CaseRooms()
post_message = CASE_ROOMS.post


def _store_file(
    room: CaseRoom,
    message: CaseMessage,
    by: User,
    upload: Any,
    sniffed: Sniffed,
    stored: list[str],
) -> CaseFile:
    item = stored_upload(
        CaseFile, by=by, upload=upload, sniffed=sniffed, room=room, message=message
    )
    stored.append(str(item.file.name))  # written to disk now: deleted again if the post fails
    item.save()
    return item


def mark_read(rights: CaseAccess, *, user: User, seq: Any) -> int:
    """Move the user's read marker forward (never back); returns the marker."""
    return CASE_ROOMS.mark_read(rights.room, user=user, seq=seq)


# ---- plan ------------------------------------------------------------------------------------


@transaction.atomic
def add_goal(
    room: CaseRoom, *, by: User, title: str, description: str = "", address: str | None = None
) -> Goal:
    rights = _rights(room, by)
    _require_writable(rights)
    goal = Goal(room=room, title=title.strip(), description=description.strip(), created_by=by)
    goal.full_clean(exclude=["room", "created_by"])
    goal.save()
    _log(rights, by, Action.CREATE, "goal", goal.pk, room=room, address=address)
    return goal


def _check_agreement(
    room: CaseRoom, *, owner: User | None, goal: Goal | None, owner_before: User | None = None
) -> None:
    """An agreement's goal lies in its room; its owner is an active member (or stays who it
    was: a member who left the room still owns what they agreed to, until someone changes it)."""
    if goal is not None and goal.room_id != room.pk:
        raise ValidationError({"goal": _("This goal belongs to another room.")})
    if (
        owner is not None
        and owner != owner_before
        and not CaseMember.objects.filter(
            room=room, user=owner, status=CaseMember.Status.ACTIVE
        ).exists()
    ):
        raise ValidationError({"owner": _("The owner must be a member of this room.")})


@transaction.atomic
def add_agreement(
    room: CaseRoom,
    *,
    by: User,
    description: str,
    due_date: date,
    owner: User | None = None,
    goal: Goal | None = None,
    address: str | None = None,
) -> Agreement:
    rights = _rights(room, by)
    _require_writable(rights)
    _check_agreement(room, owner=owner, goal=goal)
    agreement = Agreement(
        room=room,
        goal=goal,
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        created_by=by,
    )
    agreement.full_clean(exclude=["room", "created_by", "goal", "owner"])
    agreement.save()
    _log(rights, by, Action.CREATE, "agreement", agreement.pk, room=room, address=address)
    return agreement


@transaction.atomic
def update_goal(
    goal: Goal, *, by: User, title: str, description: str = "", address: str | None = None
) -> Goal:
    """Change a goal's words; whoever may add to the plan may change it, and it is logged."""
    rights = _rights(goal.room, by)
    _require_writable(rights)
    goal.title, goal.description = title.strip(), description.strip()
    goal.updated_at = timezone.now()
    goal.full_clean(exclude=["room", "created_by"])
    goal.save(update_fields=["title", "description", "updated_at"])
    _log(rights, by, Action.UPDATE, "goal", goal.pk, room=goal.room, address=address,
         detail="edited")  # fmt: skip
    return goal


@transaction.atomic
def update_agreement(
    agreement: Agreement,
    *,
    by: User,
    description: str,
    due_date: date,
    owner: User | None = None,
    goal: Goal | None = None,
    address: str | None = None,
) -> Agreement:
    """Change what was agreed, by whom, by when or under which goal; logged."""
    room = agreement.room
    rights = _rights(room, by)
    _require_writable(rights)
    _check_agreement(room, owner=owner, goal=goal, owner_before=agreement.owner)
    agreement.description = description.strip()
    agreement.due_date, agreement.owner, agreement.goal = due_date, owner, goal
    agreement.updated_at = timezone.now()
    agreement.full_clean(exclude=["room", "created_by", "goal", "owner"])
    agreement.save(update_fields=["description", "due_date", "owner", "goal", "updated_at"])
    _log(rights, by, Action.UPDATE, "agreement", agreement.pk, room=room, address=address,
         detail="edited")  # fmt: skip
    return agreement


@transaction.atomic
def remove_plan_item(item: Goal | Agreement, *, by: User, address: str | None = None) -> None:
    """Take a goal or an agreement out of the plan; logged. A goal's agreements stay in the
    plan without a goal: removing a goal is not removing what people agreed to do."""
    room = item.room
    rights = _rights(room, by)
    _require_writable(rights)
    if isinstance(item, Goal):
        for agreement in item.agreements.select_for_update():
            agreement.goal = None
            agreement.updated_at = timezone.now()
            agreement.save(update_fields=["goal", "updated_at"])
            _log(rights, by, Action.UPDATE, "agreement", agreement.pk, room=room,
                 address=address, detail=f"goal {item.pk} removed")  # fmt: skip
    kind = "goal" if isinstance(item, Goal) else "agreement"
    pk = item.pk
    item.delete()
    _log(rights, by, Action.DELETE, kind, pk, room=room, address=address, detail="removed")


@transaction.atomic
def set_plan_status(
    item: Goal | Agreement, *, by: User, status: str, address: str | None = None
) -> None:
    rights = _rights(item.room, by)
    _require_writable(rights)
    if status not in PlanStatus.values:
        raise ValidationError(_("Unknown status."))
    item.status = status
    item.updated_at = timezone.now()
    item.save(update_fields=["status", "updated_at"])
    kind = "goal" if isinstance(item, Goal) else "agreement"
    _log(rights, by, Action.UPDATE, kind, item.pk, room=item.room, address=address,
         detail=f"status {status}")  # fmt: skip


# ---- Positieve Gezondheid ----------------------------------------------------------------------


@transaction.atomic
def add_health_record(
    room: CaseRoom,
    *,
    by: User,
    conversation_on: date,
    scores: dict[str, int],
    talk: Iterable[str] = (),
    note: str = "",
    address: str | None = None,
) -> HealthRecord:
    """One conversation's scores, 0–10 per dimension, with the dimensions to talk about."""
    rights = _rights(room, by)
    _require_writable(rights)
    talk = set(talk)
    record = HealthRecord(
        room=room, conversation_on=conversation_on, note=note.strip(), recorded_by=by
    )
    for key, _label in DIMENSIONS:
        setattr(record, key, scores.get(key))
        setattr(record, f"{key}_talk", key in talk)
    record.full_clean(exclude=["room", "recorded_by"])
    record.save()
    _log(rights, by, Action.CREATE, "health_record", record.pk, room=room, address=address)
    return record


# ---- retention -----------------------------------------------------------------------------


def rooms_past_retention(now: datetime | None = None) -> list[CaseRoom]:
    """Rooms whose content should be gone: content stopped longer ago than their retention."""
    now = now or timezone.now()
    candidates = CaseRoom.objects.filter(content_stopped_at__isnull=False, purged_at__isnull=True)
    return [room for room in candidates if room.retention_until <= now]


@transaction.atomic
def purge_room(room: CaseRoom, *, purpose: str = audit.Purpose.RETENTION) -> dict[str, int]:
    """Delete a room's content (messages, files, plan, records); keep its outline and log.

    ``purpose`` is ``RETENTION`` for the daily run, ``ERASURE`` for an early erasure on the
    resident's request (art. 17 GDPR). Files leave the disk only once the deletion has
    committed: a purge that fails keeps rows and files together.
    """
    room = CaseRoom.objects.select_for_update().get(pk=room.pk)
    counts = {}
    names = list(CaseFile.objects.filter(room=room).values_list("file", flat=True))
    # dropped if anything below fails: the rows roll back, the files stay
    transaction.on_commit(lambda: delete_stored(CaseFile, names))
    counts["files"] = CaseFile.objects.filter(room=room).delete()[0]
    counts["messages"] = CaseMessage.objects.filter(room=room).delete()[0]
    counts["agreements"] = Agreement.objects.filter(room=room).delete()[0]
    counts["goals"] = Goal.objects.filter(room=room).delete()[0]
    counts["health_records"] = HealthRecord.objects.filter(room=room).delete()[0]
    Consent.objects.filter(room=room).update(given_by_description="")
    room.pseudonym = "—"
    room.purpose = ""
    room.purged_at = timezone.now()
    room.status = CaseRoom.Status.CLOSED
    room.save(update_fields=["pseudonym", "purpose", "purged_at", "status"])
    audit.record(
        action=Action.DELETE,
        user=None,
        object_type="case_room",
        object_id=room.pk,
        room_id=room.pk,
        role="system",
        purpose=purpose,
        detail="content purged on an erasure request"
        if purpose == audit.Purpose.ERASURE
        else "content purged after retention period",
    )
    return counts
