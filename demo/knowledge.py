"""Fictional learning material and learning sessions by the demo trainer.

Everything here is invented. Running ``seed`` twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from channels_app.models import Channel
from demo.directory import demo_email
from directory.models import Domain
from knowledge import services
from knowledge.models import Article, LearningSession, Registration, Theme

ARTICLES = [
    {
        "title": "Positieve Gezondheid in de wijk",
        "summary": "Hoe het gesprek over 'wat is voor u belangrijk?' huisartsen, "
        "wijkverpleegkundigen en welzijnswerkers in Hoensbroek dichter bij elkaar brengt.",
        "themes": ["positieve-gezondheid", "samenwerken-en-privacy"],
        "tags": ["spinnenweb", "het andere gesprek", "wijkaanpak"],
        "domains": [Domain.MEDICAL, Domain.SOCIAL],
        "body": """## Waarom Positieve Gezondheid?

Positieve Gezondheid kijkt niet alleen naar ziekte, maar naar het vermogen van mensen om zich
aan te passen en eigen regie te voeren. In de wijk betekent dat: de huisarts, de
praktijkondersteuner en de welzijnswerker stellen dezelfde vraag — *wat is voor u belangrijk?*

## Het spinnenweb als gespreksstarter

Het spinnenweb heeft zes dimensies:

| Dimensie | Voorbeeldvraag |
|---|---|
| Lichaamsfuncties | Hoe voelt u zich lichamelijk? |
| Mentaal welbevinden | Kunt u omgaan met spanning? |
| Zingeving | Waar haalt u energie uit? |
| Kwaliteit van leven | Geniet u van het leven? |
| Meedoen | Heeft u contact met anderen? |
| Dagelijks functioneren | Lukt het om rond te komen? |

Laat de inwoner zelf scoren. Het gesprek over de verschillen is belangrijker dan de scores.

## Zo pak je het aan

1. Neem de tijd: plan een dubbel consult of een huisbezoek.
2. Vraag door op de dimensie met de laagste score.
3. Verwijs *warm* door: bel samen met de inwoner de welzijnswerker of het sociaal wijkteam.
4. Spreek af wie de inwoner terugbelt.

> "Sinds we het spinnenweb gebruiken, komt geldzorg veel eerder op tafel." — een
> praktijkondersteuner uit Hoensbroek

## Verder lezen

Bespreek je ervaringen hieronder, of meld je aan voor de leersessie over het andere gesprek.
""",
    },
    {
        "title": "Schulden en gezondheid: signalen herkennen en doorverwijzen",
        "summary": "Geldzorgen maken ziek en ziekte kost geld. Welke signalen zie je in de "
        "spreekkamer en hoe verwijs je snel door naar schuldhulp?",
        "themes": ["schulden-en-armoede", "positieve-gezondheid"],
        "tags": ["vroegsignalering", "schuldhulpverlening", "stress"],
        "domains": [Domain.MEDICAL, Domain.DEBT, Domain.SOCIAL],
        "body": """## De cirkel van geldzorgen en gezondheid

Mensen met problematische schulden hebben vaker last van slaapproblemen, hoofdpijn, angst en
somberheid. Stress over geld vernauwt het denken: afspraken worden gemist, post blijft
ongeopend, medicatie wordt niet opgehaald.

## Signalen in de praktijk

- Herhaaldelijk afspraken missen of te laat komen
- Vragen naar goedkopere medicijnen of het eigen risico
- Onverklaarbare lichamelijke klachten en slecht slapen
- Opmerkingen als "ik heb het even druk met papieren"

## Het gesprek openen

Vraag gewoon: *"Maakt u zich weleens zorgen over geld?"* De meeste mensen zijn opgelucht dat
iemand het vraagt. Normaliseer: het overkomt veel mensen.

## Doorverwijzen

1. Vraag toestemming om contact te leggen met de schuldhulpverlener.
2. Gebruik het wijkplatform om de juiste collega in de wijk te vinden.
3. Deel **geen** financiële details in open kanalen: gebruik een casusruimte met toestemming.

## Wat de schuldhulpverlener doet

De schuldhulpverlener maakt een overzicht, neemt contact op met schuldeisers en zorgt waar
nodig voor een betalingsregeling of een traject bij de gemeente. Wachttijden zijn in Heerlen
kort als de verwijzing compleet is.
""",
    },
    {
        "title": "Privacy bij samenwerken: wat mag je delen?",
        "summary": "Een praktische leidraad voor het delen van informatie over een inwoner tussen "
        "het medisch en het sociaal domein: grondslag, toestemming en dataminimalisatie.",
        "themes": ["samenwerken-en-privacy"],
        "tags": ["AVG", "toestemming", "beroepsgeheim"],
        "domains": [Domain.MEDICAL, Domain.SOCIAL, Domain.MENTAL_HEALTH, Domain.YOUTH],
        "body": """## Drie vragen vooraf

1. **Waarom** deel ik dit? Benoem het doel.
2. **Mag** ik dit delen? Is er toestemming of een andere grondslag?
3. **Wat** is echt nodig? Deel zo min mogelijk.

## Beroepsgeheim

Artsen, verpleegkundigen en psychologen hebben een wettelijk beroepsgeheim. Zonder
toestemming van de inwoner deel je alleen informatie als er een wettelijke plicht is of bij een
conflict van plichten (bijvoorbeeld acuut gevaar).

## Toestemming vastleggen

Leg vast *wie* toestemming gaf, *wanneer*, *voor welke organisaties* en *tot wanneer*. In het
wijkplatform doe je dat in een casusruimte; zonder vastgelegde toestemming ziet alleen de maker
de ruimte.

## Wat je beter niet doet

- Namen of BSN in open kanalen of e-mail zetten
- Schermafbeeldingen van dossiers delen
- "Even bellen" zonder na te gaan of de ander betrokken is

## Checklist

| Vraag | Ja / nee |
|---|---|
| Doel benoemd? | |
| Toestemming vastgelegd? | |
| Alleen het noodzakelijke gedeeld? | |
| Ontvanger betrokken bij de zorg? | |
""",
    },
    {
        "title": "Eenzaamheid bij ouderen: samen optrekken in Heerlen Noord",
        "summary": "Ervaringen uit het wijkoverleg: hoe huisartsen, wijkverpleging en welzijn "
        "eenzame ouderen eerder in beeld krijgen.",
        "themes": ["ouderen-en-eenzaamheid"],
        "tags": ["mantelzorg", "wijkoverleg"],
        "domains": [Domain.ELDERLY_CARE, Domain.SOCIAL, Domain.MEDICAL],
        "restricted_to": "Samen Heerlen Gezond",
        "body": """## Alleen voor de pilot

Dit stuk is bedoeld voor de deelnemers van *Samen Heerlen Gezond*: het bevat werkafspraken die
nog niet voor de hele regio gelden.

## Werkafspraken

- De wijkverpleging meldt signalen van eenzaamheid aan de welzijnswerker (met toestemming).
- De welzijnswerker belt binnen een week en biedt een huisbezoek aan.
- In het wijkoverleg van donderdag bespreken we wat werkt, zonder namen.

## Wat helpt

Koffieochtenden in het buurthuis, een maatje via de vrijwilligerscentrale en samen boodschappen
doen werken beter dan een folder.
""",
    },
]

# (title, days from now, start hour, hours long, capacity, place, online, themes, article title)
SESSIONS = [
    (
        "Het andere gesprek: oefenen met het spinnenweb",
        9, 14, 2, 16, "Buurthuis De Koumen, Hoensbroek", "", ["positieve-gezondheid"],
        "Positieve Gezondheid in de wijk",
        "Een praktische middag: we oefenen in tweetallen met het spinnenweb en bespreken "
        "casussen uit de eigen praktijk. Neem een situatie mee (zonder namen).",
    ),
    (
        "Geldzorgen bespreekbaar maken in de spreekkamer",
        16, 12, 1, 30, "", "https://meet.example.org/wijkplatform-geldzorgen",
        ["schulden-en-armoede"],
        "Schulden en gezondheid: signalen herkennen en doorverwijzen",
        "Online lunchsessie met een schuldhulpverlener en een praktijkondersteuner. Hoe vraag "
        "je naar geldzorgen, en wat gebeurt er na de doorverwijzing?",
    ),
    (
        "Privacy bij samenwerken: casussen uit de praktijk",
        23, 15, 2, 12, "Gemeentehuis Heerlen, zaal 2", "", ["samenwerken-en-privacy"],
        "Privacy bij samenwerken: wat mag je delen?",
        "Aan de hand van herkenbare situaties bespreken we wat je wel en niet mag delen, en hoe "
        "je toestemming vastlegt in een casusruimte.",
    ),
    (
        "Kennismaking: werken met het wijkplatform",
        -14, 10, 1, 20, "Welzijn Samen Hoensbroek", "", ["samenwerken-en-privacy"], None,
        "Rondleiding door het wijkplatform: wie-is-wie, kanalen en de kennisbank.",
    ),
]  # fmt: skip


def _at(days: int, hour: int) -> datetime:
    day = (timezone.localtime() + timedelta(days=days)).date()
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@transaction.atomic
def seed() -> dict[str, int]:
    trainer = User.objects.get(email=demo_email("trainer"))
    themes = {t.slug: t for t in Theme.objects.all()}
    articles: dict[str, Article] = {}
    for spec in ARTICLES:
        article = Article.objects.filter(title=spec["title"]).first()
        if article is None:
            channels = []
            if spec.get("restricted_to"):
                channels = list(Channel.objects.filter(name=spec["restricted_to"]))
            article = services.save_article(
                None,
                by=trainer,
                data={
                    "title": spec["title"],
                    "summary": spec["summary"],
                    "body": spec["body"],
                    "themes": [themes[s] for s in spec["themes"] if s in themes],
                    "tag_names": spec["tags"],
                    "domains": [str(d) for d in spec["domains"]],
                    "audience": Article.Audience.CHANNELS if channels else Article.Audience.ALL,
                    "channels": channels,
                },
            )
            services.set_published(article, by=trainer)
        articles[article.title] = article

    for title, days, hour, hours, capacity, place, online, slugs, article_title, text in SESSIONS:
        if LearningSession.objects.filter(title=title).exists():
            continue
        starts = _at(days, hour)
        session = services.save_session(
            None,
            by=trainer,
            data={
                "title": title,
                "description": text,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=hours),
                "location": place,
                "online_url": online,
                "capacity": capacity,
                "registration_deadline": starts - timedelta(days=1),
                "article": articles.get(article_title) if article_title else None,
                "themes": [themes[s] for s in slugs if s in themes],
            },
        )
        # a few colleagues have registered already (directly: some deadlines have passed)
        colleagues = User.objects.filter(professional__verified=True).exclude(pk=trainer.pk)
        for user in colleagues.order_by("pk")[:3]:
            Registration.objects.get_or_create(
                session=session,
                user=user,
                defaults={
                    "status": Registration.Status.CONFIRMED,
                    "attended": True if days < 0 else None,
                },
            )
    return {
        "articles": Article.objects.filter(status=Article.Status.PUBLISHED).count(),
        "learning sessions": LearningSession.objects.count(),
    }
