"""One small platform with a person for every persona and an object of every private kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Invitation, User
from channels_app import services
from channels_app.models import Attachment, Channel, Membership, Message, Notification
from directory.models import Membership as OrganisationMembership
from directory.models import Organisation
from tests.factories import OrganisationFactory, ProfessionalFactory, UserFactory

PERSONAS = (
    "anonymous",
    "unverified",
    "outsider",
    "member",
    "moderator",
    "trainer",
    "coordinator",
    "privacy_officer",
    "admin",
)


@dataclass
class World:
    users: dict[str, User | None]
    owner: User
    applicant: User
    organisation: Organisation
    organisation_membership: OrganisationMembership
    closed: Channel
    direct: Channel
    message: Message
    attachment: Attachment
    notification: Notification
    membership_request: Any
    extra: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    def professional(name: str, **kwargs: Any) -> User:
        return ProfessionalFactory(user=UserFactory(display_name=name, **kwargs)).user

    organisation = OrganisationFactory(name="Welzijn Samen", slug="welzijn-samen")
    owner = professional("Olga Eigenaar")
    member = ProfessionalFactory(
        user=UserFactory(display_name="Mark Lid"), organisation=organisation
    ).user
    users: dict[str, User | None] = {
        "anonymous": None,
        "unverified": ProfessionalFactory(
            user=UserFactory(display_name="Udo Onbevestigd"), organisation__verified=False
        ).user,
        "outsider": professional("Otto Buiten"),
        "member": member,
        "moderator": professional("Mona Moderator"),
        "trainer": professional("Tessa Trainer", roles=["trainer", "professional"]),
        "coordinator": professional("Coen Regie"),
        "privacy_officer": UserFactory(display_name="Petra Privacy", roles=["privacy_officer"]),
        "admin": UserFactory(display_name="Beheer", roles=["platform_admin"]),
    }
    applicant = ProfessionalFactory(
        user=UserFactory(display_name="Anton Aanvrager"),
        organisation=organisation,
        organisation__verified=False,
    ).user
    organisation_membership = OrganisationMembership.objects.get(
        professional__user=applicant, organisation=organisation
    )

    closed = services.create_channel(by=owner, kind="closed", name="Samen Heerlen Gezond")
    for user, role in ((member, Membership.Role.MEMBER), (users["moderator"], "moderator")):
        services._add_member(closed, user, role)
    message, _ = services.post_message(closed.pk, author=member, body="Vertrouwelijk @Olga")
    services.post_message(closed.pk, author=owner, body="Antwoord", parent_id=message.pk)
    attachment = services.upload_attachment(
        closed,
        by=member,
        upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    )
    direct = services.direct_channel(by=member, others=[owner])
    direct_message, _ = services.post_message(direct.pk, author=owner, body="Alleen voor jou")
    notification = Notification.objects.create(
        user=member, kind=Notification.Kind.MENTION, channel=closed, message=message, actor=owner
    )
    membership_request = services.request_to_join(closed, users["coordinator"])
    _token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        email="gast@wijk.example", display_name="Gast", invited_by=users["admin"],
        token_hash=token_hash,
    )  # fmt: skip
    return World(
        users=users,
        owner=owner,
        applicant=applicant,
        organisation=organisation,
        organisation_membership=organisation_membership,
        closed=closed,
        direct=direct,
        message=message,
        attachment=attachment,
        notification=notification,
        membership_request=membership_request,
        extra={"direct_message": direct_message, "invitation": invitation},
    )
