"""One small platform with a person for every persona and an object of every private kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Invitation, User
from channels_app import services
from channels_app.models import (
    Attachment,
    Channel,
    Membership,
    Message,
    Notification,
    PushSubscription,
)
from directory.models import Membership as OrganisationMembership
from directory.models import Organisation
from insights.models import ComputedQuarter
from insights.quarters import Quarter
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
    device = PushSubscription.objects.create(
        user=member, endpoint="https://fcm.googleapis.com/fcm/send/mark", p256dh="k", auth="a"
    )
    # a quarter with figures: its quarterly report is a private object too
    computed = ComputedQuarter.objects.create(quarter=str(Quarter.current().previous()), final=True)
    extra = {
        "direct_message": direct_message,
        "invitation": invitation,
        "device": device,
        "quarter": computed.quarter,
    }
    extra |= _knowledge(users, closed)
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
        extra=extra,
    )


def _pdf(name: str = "handout.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", "application/pdf")


def _knowledge(users: dict[str, User | None], closed: Channel) -> dict[str, Any]:
    """An article for the members of the closed channel only, by the trainer; a session."""
    from datetime import timedelta

    from django.utils import timezone

    from knowledge import services as knowledge

    trainer, member = users["trainer"], users["member"]
    data = {
        "title": "Samen Heerlen Gezond: werkafspraken",
        "summary": "Alleen voor de leden van het kanaal.",
        "body": "Eerste versie.",
        "audience": "channels",
        "channels": [closed],
    }
    article = knowledge.save_article(None, by=trainer, data=data)
    knowledge.set_published(article, by=trainer)
    article = knowledge.save_article(article, by=trainer, data={**data, "body": "Tweede versie."})
    attachment = knowledge.add_attachment(article, by=trainer, upload=_pdf())
    comment = knowledge.add_comment(article, by=member, body="Dank je wel!")
    starts = timezone.now() + timedelta(days=7)
    session = knowledge.save_session(
        None,
        by=trainer,
        data={
            "title": "Leersessie Positieve Gezondheid",
            "description": "Oefenen met het gesprek.",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "location": "Wijkcentrum",
            "online_url": "",
            "capacity": 10,
            "registration_deadline": starts - timedelta(days=1),
            "article": None,
        },
    )
    material = knowledge.add_material(session, by=trainer, upload=_pdf("sheets.pdf"))
    return {
        "article": article,
        "article_attachment": attachment,
        "revision": article.revisions.order_by("number").first(),
        "comment": comment,
        "session": session,
        "material": material,
        "feed": knowledge.calendar_feed(member),
    }
