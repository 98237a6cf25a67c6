"""Who keeps a place in a case room after its consent is withdrawn or the room is closed.

The rule (docs/PRIVACY.md, "After withdrawal and after closing"): once the room is no longer in
use, because the resident withdrew consent (art. 7(3) GDPR) or the coordinator closed it, only
the coordinator keeps reading, read-only. The coordinator keeps the record: the consent and its
withdrawal, the members, the access log, and the content the resident may ask to see (art. 15)
or to have erased (art. 17). Everyone else's access ends and open invitations are revoked
(art. 5(1)(c)): what a professional needs for their own work belongs in their own record
(WGBO dossier duty, their professional code), not in the shared room.

New consent after a withdrawal puts the room back in use; whoever lost access is invited again
by the coordinator and accepts again. A closed room stays closed.

Pure functions over the room's and the membership's fields, no queries: the services apply the
rule when the event happens (ending memberships, closing sockets), and ``access`` checks it on
every read.
"""

from __future__ import annotations

from collections.abc import Iterable

from privacy.models import CaseMember, CaseRoom

#: why someone's place ended, as sent to their open page and written to the access log
CONSENT_WITHDRAWN = "consent_withdrawn"
ROOM_CLOSED = "room_closed"


def in_use(room: CaseRoom) -> bool:
    """Open, not purged, and no withdrawal since the last consent.

    ``content_stopped_at`` is set when the room is closed or its consent withdrawn, and cleared
    when new consent is recorded after a withdrawal; so an open room with the mark set is one
    whose consent has been withdrawn.
    """
    return (
        room.status == CaseRoom.Status.OPEN
        and room.purged_at is None
        and room.content_stopped_at is None
    )


def consent_withdrawn(room: CaseRoom) -> bool:
    """The room is open but its consent has been withdrawn (and no new consent recorded)."""
    return (
        room.status == CaseRoom.Status.OPEN
        and room.purged_at is None
        and room.content_stopped_at is not None
    )


def may_read_after(room: CaseRoom, membership: CaseMember | None) -> bool:
    """Whether ``membership`` still lets its holder read ``room``'s content.

    The coordinator always (read-only once the room is out of use); every other active member
    only while the room is in use.
    """
    if membership is None or membership.status != CaseMember.Status.ACTIVE:
        return False
    if membership.role == CaseMember.Role.COORDINATOR:
        return True
    return in_use(room)


def keeps_place(room: CaseRoom, membership: CaseMember) -> bool:
    """Whether an active membership or an open invitation survives the room's current state."""
    if membership.status == CaseMember.Status.INVITED:
        return in_use(room)
    return may_read_after(room, membership)


def places_to_end(room: CaseRoom, memberships: Iterable[CaseMember]) -> list[CaseMember]:
    """The active memberships and open invitations the rule no longer allows."""
    return [
        membership
        for membership in memberships
        if membership.status in (CaseMember.Status.ACTIVE, CaseMember.Status.INVITED)
        and not keeps_place(room, membership)
    ]
