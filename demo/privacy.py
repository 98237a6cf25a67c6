"""One fictional case room for the demo: consent, a conversation, a plan and two Positieve
Gezondheid conversations. Its coordinator, one member and the privacy officer get a TOTP
authenticator with the published secret ``DEMO_TOTP_SECRET`` so the demo can be signed in to.
Running ``seed`` again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from demo.directory import demo_email
from directory.models import Organisation
from privacy import services
from privacy.models import CaseMessage, CaseRoom

# Published in the README: demo accounts only, refused with DEBUG off like the demo password.
DEMO_TOTP_SECRET = "WIJKPLATFORMDEMOHEERLENCASEROOMS"  # noqa: S105
DEMO_PSEUDONYM = "Gezin K., Hoensbroek"

CONVERSATION = [
    ("anouk.aerts", "Welkom. Moeder gaf toestemming om samen te kijken naar gezondheid, geld en "
                    "de zorg voor de kinderen. Zij wil één vast aanspreekpunt: dat ben ik."),
    ("mirjam.eurlings", "Dank je. Ik ken het gezin van de ontmoetingsochtend. Zal ik volgende "
                        "week samen met moeder een afspraak bij de schuldhulp maken?"),
    ("anouk.aerts", "Graag. Het gesprek over Positieve Gezondheid staat hieronder: ze wil het "
                    "vooral over meedoen en mentaal welbevinden hebben."),
]  # fmt: skip

CONVERSATIONS = [
    (42, {"body": 6, "mental": 3, "meaning": 5, "quality": 4, "participation": 2, "daily": 6},
     ["mental", "participation"], "Veel zorgen over rekeningen; weinig contact buiten de deur."),
    (0, {"body": 6, "mental": 5, "meaning": 6, "quality": 5, "participation": 4, "daily": 7},
     ["participation"], "Schuldhulp gestart; gaat naar de ontmoetingsochtend."),
]  # fmt: skip


def _with_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        # through allauth, so the MFA adapter (accounts.mfa) stores the secret encrypted
        TOTP.activate(user, DEMO_TOTP_SECRET)


@transaction.atomic
def seed() -> dict[str, int]:
    coordinator = User.objects.get(email=demo_email("anouk.aerts"))
    member = User.objects.get(email=demo_email("mirjam.eurlings"))
    for user in (coordinator, member, User.objects.get(email=demo_email("privacy"))):
        _with_totp(user)
    if CaseRoom.objects.filter(pseudonym=DEMO_PSEUDONYM).exists():
        return {"case rooms": CaseRoom.objects.count()}

    room = services.create_room(
        by=coordinator,
        pseudonym=DEMO_PSEUDONYM,
        purpose="Samen met moeder werken aan gezondheid, geldzorgen en meedoen in de wijk.",
        legal_ground="consent",
    )
    today = timezone.localdate()
    covered = Organisation.objects.filter(
        slug__in=["hp-kasteelpark", "welzijn-samen", "schuldhulp-parkstad"]
    )
    services.record_consent(
        room,
        by=coordinator,
        given_by="resident",
        given_by_description="moeder, voor zichzelf en de kinderen",
        form="written",
        given_on=today - timedelta(days=45),
        valid_until=today + timedelta(days=320),
        organisations=covered,
    )
    services.invite(room, by=coordinator, user=member)
    services.respond(room, user=member, accept=True)

    for local_part, body in CONVERSATION:
        author = User.objects.get(email=demo_email(local_part))
        services.post_message(room.pk, author=author, body=body)
    CaseMessage.objects.filter(room=room).update(created_at=timezone.now() - timedelta(days=2))

    money = services.add_goal(
        room, by=coordinator, title="Rust in de financiën",
        description="Moeder wil weten waar ze staat en geen aanmaningen meer.",
    )  # fmt: skip
    meet = services.add_goal(room, by=member, title="Meer contact met anderen in de wijk")
    services.add_agreement(room, by=coordinator, goal=money, owner=member,
                           description="Afspraak bij Schuldhulp Parkstad maken, samen met moeder",
                           due_date=today + timedelta(days=7))  # fmt: skip
    services.add_agreement(room, by=coordinator, goal=money, owner=None,
                           description="Post van de afgelopen drie maanden verzamelen",
                           due_date=today + timedelta(days=5))  # fmt: skip
    services.add_agreement(room, by=member, goal=meet, owner=member,
                           description="Samen naar de ontmoetingsochtend op dinsdag",
                           due_date=today + timedelta(days=14))  # fmt: skip
    for days_ago, scores, talk, note in CONVERSATIONS:
        when = today - timedelta(days=days_ago)
        services.add_health_record(room, by=coordinator, conversation_on=when, scores=scores,
                                   talk=talk, note=note)  # fmt: skip
    return {"case rooms": CaseRoom.objects.count()}
