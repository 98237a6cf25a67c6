"""Demo channels for Heerlen: the closed "Samen Heerlen Gezond" and two open channels."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from channels_app import services
from channels_app.models import Channel, Message
from demo.directory import demo_email
from directory.models import Neighbourhood

CHANNELS = [
    (
        "Samen Heerlen Gezond",
        Channel.Kind.CLOSED,
        "Besloten kanaal van de pilot in Hoensbroek en Heerlen Noord: medisch en sociaal domein "
        "samen.",
        "Pilot: samenwerking huisartsen, welzijn en schuldhulp",
        ["hoensbroek", "heerlen-noord"],
    ),
    (
        "Wijk Hoensbroek",
        Channel.Kind.OPEN,
        "Nieuws en vragen voor iedereen die in Hoensbroek werkt.",
        "",
        ["hoensbroek"],
    ),
    (
        "Schulden en gezondheid",
        Channel.Kind.OPEN,
        "Over de samenhang tussen geldzorgen en gezondheid: signalen, doorverwijzen, ervaringen.",
        "",
        [],
    ),
]

# (channel, author local part, message, minutes ago)
CONVERSATION = [
    (
        "Samen Heerlen Gezond",
        "anouk.aerts",
        "Welkom in het besloten kanaal van de pilot! Hier stemmen we af over inwoners die zorg én "
        "ondersteuning nodig hebben.",
        60 * 24 * 3,
    ),
    (
        "Samen Heerlen Gezond",
        "mirjam.eurlings",
        "Dank je! Vanuit welzijn zien we veel eenzaamheid bij ouderen in Hoensbroek-Noord. Wie "
        "sluit aan bij het wijkoverleg van donderdag?",
        60 * 24 * 2,
    ),
    (
        "Samen Heerlen Gezond",
        "trainer",
        "Donderdag staat ook de leersessie over **Positieve Gezondheid** gepland. Aanmelden kan "
        "in de kennisbank.",
        60 * 30,
    ),
    (
        "Wijk Hoensbroek",
        "beheer",
        "Het nieuwe wijkplatform staat live. Vragen over het gebruik? Stel ze hier.",
        60 * 24 * 4,
    ),
    (
        "Schulden en gezondheid",
        "mirjam.eurlings",
        "Tip: bij vroegsignalering van betalingsachterstanden kan de huisarts ook doorverwijzen "
        "naar het sociaal wijkteam.",
        60 * 5,
    ),
]


@transaction.atomic
def seed() -> dict[str, int]:
    admin = User.objects.get(email=demo_email("beheer"))
    neighbourhoods = {n.slug: n for n in Neighbourhood.objects.all()}
    channels = {}
    for name, kind, description, topic, served in CHANNELS:
        channel = Channel.objects.filter(name=name).first()
        if channel is None:
            channel = services.create_channel(
                by=admin,
                kind=kind,
                name=name,
                description=description,
                topic=topic,
                neighbourhoods=[neighbourhoods[s] for s in served if s in neighbourhoods],
            )
        channels[name] = channel

    # the pilot's members: every GP, practice nurse, welfare worker and debt counsellor
    pilot = channels["Samen Heerlen Gezond"]
    pilot_users = User.objects.filter(
        professional__verified=True,
        professional__disciplines__slug__in=[
            "huisarts", "praktijkondersteuner", "praktijkondersteuner-ggz", "welzijnswerker",
            "schuldhulpverlener", "wijkverpleegkundige",
        ],
    ).distinct()  # fmt: skip
    for user in pilot_users:
        services._add_member(pilot, user)
    for channel in channels.values():
        if channel.kind == Channel.Kind.OPEN:
            for user in User.objects.filter(professional__verified=True)[:40]:
                services._add_member(channel, user)

    if not Message.objects.filter(channel__in=channels.values()).exists():
        for channel_name, local_part, body, minutes_ago in CONVERSATION:
            author = User.objects.get(email=demo_email(local_part))
            channel = channels[channel_name]
            services._add_member(channel, author)
            message, _created = services.post_message(channel.pk, author=author, body=body)
            when = timezone.now() - timedelta(minutes=minutes_ago)
            Message.objects.filter(pk=message.pk).update(created_at=when)
            services.CHANNELS.forget_contents(message)  # its row shows the moment
    return {"channels": Channel.objects.exclude(kind=Channel.Kind.DIRECT).count()}
