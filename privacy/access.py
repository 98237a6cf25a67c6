"""Who may see and do what in case rooms: the one place that decides, for views and sockets.

- Content (messages, files, plan, Positieve Gezondheid) only for active members of the room.
- The coordinator also manages members and consent and sees the room's access log.
- A privacy officer sees every access log, never content.
- Everyone else, platform administrators included, gets a 404: a private room and a missing
  one look the same. Such attempts on an existing room are logged as refused.
- Members and privacy officers need two-factor authentication (a TOTP authenticator) and a
  sign-in within ``CASE_REAUTHENTICATION_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from directory.access import is_verified, organisation_ids_of
from directory.models import Membership, Organisation
from privacy import audit, policy
from privacy.models import CaseMember, CaseRoom, Consent

ROLE_PRIVACY_OFFICER = "privacy_officer"
ROLE_INVITED = "invited"
ROLE_LABELS = {
    ROLE_INVITED: _("Invited"),
    CaseMember.Role.COORDINATOR: _("Coordinator"),
    CaseMember.Role.MEMBER: _("Member"),
    ROLE_PRIVACY_OFFICER: _("Privacy officer"),
    "": _("No role in this room"),
    "system": _("System"),
}


class Need:
    MEMBER = "member"
    COORDINATOR = "coordinator"
    INVITED = "invited"
    LOG = "log"


@dataclass(frozen=True)
class CaseAccess:
    """What one user may do in one case room, worked out once."""

    room: CaseRoom
    membership: CaseMember | None
    privacy_officer: bool
    #: whether the member still works for an organisation the consent covers
    covered: bool = True

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.is_active and self.covered

    @property
    def is_suspended(self) -> bool:
        """An active member whose organisations the consent no longer covers."""
        return self.membership is not None and self.membership.is_active and not self.covered

    @property
    def is_coordinator(self) -> bool:
        return (
            self.is_member
            and self.membership is not None
            and self.membership.role == CaseMember.Role.COORDINATOR
        )

    @property
    def is_invited(self) -> bool:
        """Invited, and covered by the consent: an invitation the consent no longer covers
        (it was narrowed since) opens nothing, as for anyone else."""
        return (
            self.membership is not None
            and self.membership.status == CaseMember.Status.INVITED
            and self.covered
        )

    @property
    def can_read(self) -> bool:
        if not (self.is_member and policy.may_read_after(self.room, self.membership)):
            return False
        return self.is_coordinator or not consent_lapsed(self.room)

    @property
    def can_write(self) -> bool:
        """New content: open room, active member, and no withdrawn or lapsed consent."""
        return self.is_member and content_allowed(self.room)

    @property
    def can_see_log(self) -> bool:
        return self.is_coordinator or self.privacy_officer

    @property
    def role(self) -> str:
        if self.is_member and self.membership is not None:
            return self.membership.role
        if self.is_invited:
            return ROLE_INVITED
        if self.privacy_officer:
            return ROLE_PRIVACY_OFFICER
        return ""

    @property
    def purpose(self) -> str:
        if self.privacy_officer and not (self.is_member or self.is_invited):
            return audit.Purpose.SUPERVISION
        if not (self.is_member or self.is_invited):
            return audit.Purpose.REFUSED  # an outsider's attempt serves no purpose of care
        return audit.Purpose.CARE


def is_privacy_officer(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_role(Role.PRIVACY_OFFICER)
    )


def consents_newest_first() -> QuerySet[Consent]:
    """A room's consents as ``current_consent`` reads them, for prefetching ``consents``."""
    return Consent.objects.order_by("-recorded_at", "-pk").prefetch_related("organisations")


def current_consent(room: CaseRoom) -> Consent | None:
    """The most recently recorded consent, or None; prefetched ``consents`` are used if there."""
    cache = getattr(room, "_prefetched_objects_cache", {})
    if "consents" in cache:
        consents = list(cache["consents"])
        return consents[0] if consents else None
    return room.consents.order_by("-recorded_at", "-pk").first()


def content_allowed(room: CaseRoom) -> bool:
    if not room.is_open:
        return False
    consent = current_consent(room)
    # Without consent on record the coordinator is alone in the room and may keep notes.
    return consent is None or consent.is_active


def consent_lapsed(room: CaseRoom) -> bool:
    """The consent on record passed its end date without a withdrawal or a new consent. Until
    new consent is recorded, only the coordinator reads the room (docs/PRIVACY.md)."""
    consent = current_consent(room)
    return consent is not None and consent.withdrawn_at is None and not consent.is_active


def consent_ends_at(room: CaseRoom) -> float | None:
    """When (a timestamp) the current consent runs out: the end of its last day, in the site's
    time zone; None without a consent that is in force."""
    consent = current_consent(room)
    if consent is None or not consent.is_active:
        return None
    if consent.valid_until == date.max:  # the calendar's last day: no end to count down to
        return None
    last_day = datetime.combine(consent.valid_until + timedelta(days=1), datetime.min.time())
    return timezone.make_aware(last_day).timestamp()


def is_covered(room: CaseRoom, membership: CaseMember) -> bool:
    """Whether the member works, verified, for an organisation the room's consent covers.

    Checked at every access, not only when inviting: someone who leaves the organisation
    through which they were invited is no longer covered. The coordinator opened the room and
    records the consent, so is always covered; without any consent there are no members.
    """
    if membership.role == CaseMember.Role.COORDINATOR:
        return True
    consent = current_consent(room)
    return consent is not None and bool(covered_organisation_ids(consent, membership.user))


def covered_organisation_ids(consent: Any, user: Any) -> set[int]:
    """The organisations of ``consent`` in which ``user`` is a verified member."""
    # (``all()``: prefetched organisations are used if there)
    return {o.pk for o in consent.organisations.all()} & organisation_ids_of(user)


def invitable(room: CaseRoom) -> list[tuple[User, Organisation]]:
    """Whom the coordinator can invite now, each with the organisation they would join for.

    Verified professionals of an organisation the room's consent in force covers, who are not
    in the room already (active or invited); nobody without such a consent. The organisation
    is the one ``services.invite`` records: the first covered one.
    """
    consent = current_consent(room)
    if consent is None or not consent.is_active or not room.is_open:
        return []
    covering = Membership.objects.filter(
        verified=True, organisation__in=consent.organisations.all()
    ).select_related("organisation")
    people = (
        User.objects.filter(
            is_active=True,
            professional__verified=True,
            professional__memberships__in=covering,
        )
        .exclude(
            case_memberships__room=room,
            case_memberships__status__in=[CaseMember.Status.ACTIVE, CaseMember.Status.INVITED],
        )
        .distinct()
        .prefetch_related(Prefetch("professional__memberships", covering, to_attr="covering"))
        .order_by("display_name", "pk")
    )
    # ``covering``: the prefetched memberships of covered organisations (to_attr)
    return [
        (user, _first_organisation(user.professional.covering))  # type: ignore[attr-defined]
        for user in people
    ]


def _first_organisation(memberships: list[Membership]) -> Organisation:
    return min((m.organisation for m in memberships), key=lambda organisation: organisation.pk)


def access_for(user: Any, room: CaseRoom) -> CaseAccess:
    membership = None
    covered = True
    if getattr(user, "is_authenticated", False) and user.is_active:
        membership = CaseMember.objects.filter(room=room, user=user).first()
        if membership is not None and membership.status in (
            CaseMember.Status.ACTIVE,
            CaseMember.Status.INVITED,
        ):
            membership.user = user
            covered = is_covered(room, membership)
    return CaseAccess(
        room=room,
        membership=membership,
        privacy_officer=is_privacy_officer(user),
        covered=covered,
    )


def room_for(
    user: Any, room_id: Any, need: str = Need.MEMBER, *, address: str | None = None
) -> CaseAccess:
    """The room if ``user`` may do ``need`` there; 404 otherwise (refusals on real rooms logged)."""
    if need != Need.LOG and not is_verified(user):
        raise Http404
    try:
        room = CaseRoom.objects.select_related("coordinator").get(pk=int(room_id))
    except (CaseRoom.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    rights = access_for(user, room)
    allowed = {
        Need.MEMBER: rights.can_read,
        Need.COORDINATOR: rights.is_coordinator,
        Need.INVITED: rights.is_invited or rights.can_read,
        Need.LOG: rights.can_see_log and (rights.privacy_officer or is_verified(user)),
    }[need]
    if not allowed:
        audit.record(
            action=audit.Action.READ,
            user=user,
            object_type="case_room",
            object_id=room.pk,
            room_id=room.pk,
            outcome=audit.Outcome.DENIED,
            role=rights.role,
            purpose=rights.purpose,
            address=address,
            detail=f"needs {need}",
        )
        raise Http404
    return rights


def has_mfa(user: Any) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def recent_sign_in_until(session: Any, user: Any) -> float | None:
    """Until when (a timestamp) this session's step with the second factor counts as recent.

    allauth records each authentication step of a session; only its ``"mfa"`` records count
    here. A password, a reset link or an e-mailed code is not enough: whoever reset a password
    or reads the mailbox holds those. ``User.credentials_changed_at`` (accounts.security_log)
    ends every step made before a change of password, e-mail address or second factor.
    None if no step counts at all.
    """
    if session is None:
        return None
    # allauth reads the records from a request's session; a socket has a session, no request
    request = HttpRequest()
    request.session = session
    records = get_authentication_records(request, user)
    second_factor = [record.get("at", 0) for record in records if record.get("method") == "mfa"]
    if not second_factor:
        return None
    latest = max(second_factor)
    changed = getattr(user, "credentials_changed_at", None)
    if changed is not None and latest <= changed.timestamp():
        return None
    return float(latest + settings.CASE_REAUTHENTICATION_SECONDS)


def signed_in_recently(session: Any, user: Any) -> bool:
    """Whether this session used the user's own second factor (at sign-in or at a step-up)
    within ``CASE_REAUTHENTICATION_SECONDS`` and after the last change to their credentials."""
    until = recent_sign_in_until(session, user)
    return until is not None and time.time() < until
