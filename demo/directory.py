"""Fictional organisations and professionals for Hoensbroek and Heerlen Noord.

Every person, organisation, address and phone number here is invented. Running ``seed``
twice changes nothing the second time.
"""

from __future__ import annotations

from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify

from accounts.models import User
from accounts.roles import Role
from directory.boundaries import import_boundaries, read_areas
from directory.models import (
    Discipline,
    Domain,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    Organisation,
    PostcodeRange,
    Professional,
    SearchSynonym,
    ServiceTheme,
    Visibility,
)
from directory.services import refresh_verified, search_refresh_batch

DEMO_PASSWORD = "Heerlen-demo-2026"  # noqa: S105 - documented demo login, refused in production

NEIGHBOURHOODS = [
    # slug, name, municipality, postcode ranges
    ("hoensbroek", "Hoensbroek", "Heerlen", [(6431, 6433)]),
    ("heerlen-noord", "Heerlen Noord", "Heerlen", [(6412, 6414), (6419, 6419)]),
]

# Simplified outlines of the demo's neighbourhoods, in the form of CBS's wijk- en buurtkaart
# (drawn by hand around their places on the map; not the real boundaries).
BOUNDARIES = Path(__file__).parent / "data" / "heerlen-wijken.geojson"

DISCIPLINES = [
    ("huisarts", "Huisarts", Domain.MEDICAL),
    ("praktijkondersteuner", "Praktijkondersteuner huisarts", Domain.MEDICAL),
    ("praktijkondersteuner-ggz", "Praktijkondersteuner GGZ", Domain.MENTAL_HEALTH),
    ("wijkverpleegkundige", "Wijkverpleegkundige", Domain.MEDICAL),
    ("apotheker", "Apotheker", Domain.MEDICAL),
    ("fysiotherapeut", "Fysiotherapeut", Domain.MEDICAL),
    ("diëtist", "Diëtist", Domain.MEDICAL),
    ("ggz-behandelaar", "GGZ-behandelaar", Domain.MENTAL_HEALTH),
    ("welzijnswerker", "Welzijnswerker", Domain.SOCIAL),
    ("maatschappelijk-werker", "Maatschappelijk werker", Domain.SOCIAL),
    ("wijkcoach", "Wijkcoach", Domain.SOCIAL),
    ("schuldhulpverlener", "Schuldhulpverlener", Domain.DEBT),
    ("jeugdprofessional", "Jeugdprofessional", Domain.YOUTH),
    ("ouderenadviseur", "Ouderenadviseur", Domain.ELDERLY_CARE),
    ("casemanager-dementie", "Casemanager dementie", Domain.ELDERLY_CARE),
]

SERVICE_THEMES = [
    ("gezondheid", "Gezondheid en zorg"),
    ("psychische-gezondheid", "Psychische gezondheid"),
    ("schulden-en-geld", "Schulden en geld"),
    ("opvoeden-en-opgroeien", "Opvoeden en opgroeien"),
    ("ontmoeting", "Ontmoeting en eenzaamheid"),
    ("ouder-worden", "Ouder worden en mantelzorg"),
    ("wonen-en-leefomgeving", "Wonen en leefomgeving"),
    ("leefstijl", "Leefstijl en bewegen"),
]

# which themes each organisation serves
ORGANISATION_SERVICES = {
    "hp-kasteelpark": ["gezondheid", "psychische-gezondheid", "leefstijl"],
    "gc-mijnzicht": ["gezondheid", "leefstijl", "psychische-gezondheid"],
    "hp-heidezicht": ["gezondheid", "psychische-gezondheid"],
    "wijkverpleging-parkstad": ["gezondheid", "ouder-worden"],
    "ggz-wijkteam-noord": ["psychische-gezondheid"],
    "apotheek-slotplein": ["gezondheid"],
    "welzijn-samen": ["ontmoeting", "ouder-worden", "wonen-en-leefomgeving", "leefstijl"],
    "sociaal-wijkteam-noord": [
        "schulden-en-geld",
        "wonen-en-leefomgeving",
        "opvoeden-en-opgroeien",
    ],
    "schuldhulp-parkstad": ["schulden-en-geld"],
    "jeugd-gezin-noord": ["opvoeden-en-opgroeien", "psychische-gezondheid"],
    "ouderen-mijnlamp": ["ouder-worden", "ontmoeting"],
    "fysio-het-anker": ["gezondheid", "leefstijl"],
}

# What people search for and the professions or expertise it means here (SearchSynonym).
SYNONYMS = [
    ("jongerenwerker", "jeugdprofessional, jongeren"),
    ("jeugdwerker", "jeugdprofessional, jongeren"),
    ("jeugdhulp", "jeugdprofessional, opvoedondersteuning"),
    ("schuldhulp", "schuldhulpverlener, schulden, budgetcoaching"),
    ("budgetcoach", "schuldhulpverlener, budgetcoaching"),
    ("geldzorgen", "schuldhulpverlener, schulden, armoede"),
    ("poh", "praktijkondersteuner"),
    ("poh ggz", "praktijkondersteuner ggz"),
    ("wijkzuster", "wijkverpleegkundige"),
    ("thuiszorg", "wijkverpleegkundige"),
    ("dokter", "huisarts"),
    ("spv", "sociaal psychiatrisch verpleegkundige"),
    ("ouderenconsulent", "ouderenadviseur"),
    ("dementieconsulent", "casemanager dementie"),
    ("opbouwwerker", "welzijnswerker, wijkcoach"),
]

LANGUAGES = [
    ("nl", "Nederlands"), ("li", "Limburgs"), ("de", "Duits"), ("en", "Engels"),
    ("fr", "Frans"), ("tr", "Turks"), ("ar", "Arabisch"), ("pl", "Pools"), ("uk", "Oekraïens"),
]  # fmt: skip

# expertise per discipline; each person gets some of them
EXPERTISE = {
    "huisarts": ["chronische ziekten", "ouderengeneeskunde", "Positieve Gezondheid"],
    "praktijkondersteuner": ["diabetes", "COPD", "hart- en vaatziekten", "leefstijl"],
    "praktijkondersteuner-ggz": ["somberheid", "angst", "stress", "Positieve Gezondheid"],
    "wijkverpleegkundige": ["wondzorg", "palliatieve zorg", "dementie", "mantelzorg"],
    "apotheker": ["medicatiebeoordeling", "polyfarmacie"],
    "fysiotherapeut": ["valpreventie", "bewegen", "leefstijl"],
    "diëtist": ["voeding", "overgewicht", "leefstijl"],
    "ggz-behandelaar": ["verslaving", "psychische kwetsbaarheid", "crisis"],
    "welzijnswerker": ["eenzaamheid", "vrijwilligerswerk", "ontmoeting", "mantelzorg"],
    "maatschappelijk-werker": ["huiselijk geweld", "wonen", "armoede", "regelzaken"],
    "wijkcoach": ["armoede", "participatie", "wonen"],
    "schuldhulpverlener": ["schulden", "budgetcoaching", "armoede", "bewindvoering"],
    "jeugdprofessional": ["opvoedondersteuning", "scheiding", "jongeren", "school"],
    "ouderenadviseur": ["mantelzorg", "eenzaamheid", "wonen", "valpreventie"],
    "casemanager-dementie": ["dementie", "mantelzorg"],
}

# slug, name, type, neighbourhood slugs, address, postcode, phone
ORGANISATIONS = [
    (
        "hp-kasteelpark",
        "Huisartsenpraktijk Kasteelpark",
        "Huisartsenpraktijk",
        ["hoensbroek"],
        "Slotlaan 4",
        "6432 AB",
        "045 000 1101",
    ),
    (
        "gc-mijnzicht",
        "Gezondheidscentrum Mijnzicht",
        "Gezondheidscentrum",
        ["hoensbroek"],
        "Schachtstraat 12",
        "6431 CD",
        "045 000 1102",
    ),
    (
        "hp-heidezicht",
        "Huisartsenpraktijk Heidezicht",
        "Huisartsenpraktijk",
        ["heerlen-noord"],
        "Heidestraat 30",
        "6419 EF",
        "045 000 1103",
    ),
    (
        "wijkverpleging-parkstad",
        "Wijkverpleging Parkstad Thuis",
        "Thuiszorg",
        ["hoensbroek", "heerlen-noord"],
        "Zorgweg 2",
        "6413 GH",
        "045 000 1104",
    ),
    (
        "ggz-wijkteam-noord",
        "GGZ Wijkteam Noord",
        "GGZ-aanbieder",
        ["hoensbroek", "heerlen-noord"],
        "Lindeplein 8",
        "6432 JK",
        "045 000 1105",
    ),
    (
        "apotheek-slotplein",
        "Apotheek Slotplein",
        "Apotheek",
        ["hoensbroek"],
        "Slotplein 1",
        "6431 LM",
        "045 000 1106",
    ),
    (
        "welzijn-samen",
        "Welzijn Samen Hoensbroek",
        "Welzijnsorganisatie",
        ["hoensbroek"],
        "Ontmoetingsplein 3",
        "6433 NP",
        "045 000 1107",
    ),
    (
        "sociaal-wijkteam-noord",
        "Sociaal Wijkteam Heerlen Noord",
        "Sociaal wijkteam",
        ["heerlen-noord"],
        "Buurtweg 15",
        "6414 RS",
        "045 000 1108",
    ),
    (
        "schuldhulp-parkstad",
        "Schuldhulp Parkstad",
        "Schuldhulpverlening",
        ["hoensbroek", "heerlen-noord"],
        "Kasboek 7",
        "6412 TV",
        "045 000 1109",
    ),
    (
        "jeugd-gezin-noord",
        "Jeugd & Gezin Noord",
        "Jeugdhulp",
        ["hoensbroek", "heerlen-noord"],
        "Speelstraat 21",
        "6413 WX",
        "045 000 1110",
    ),
    (
        "ouderen-mijnlamp",
        "Ouderenadvies De Mijnlamp",
        "Ouderenzorg",
        ["hoensbroek", "heerlen-noord"],
        "Lampweg 9",
        "6433 YZ",
        "045 000 1111",
    ),
    (
        "fysio-het-anker",
        "Fysiotherapie Het Anker",
        "Paramedische praktijk",
        ["heerlen-noord"],
        "Ankerstraat 5",
        "6419 BA",
        "045 000 1112",
    ),
]

FIRST_NAMES = [
    "Anouk",
    "Bram",
    "Chantal",
    "Daan",
    "Esther",
    "Floor",
    "Gijs",
    "Hanneke",
    "Ilse",
    "Joris",
    "Karin",
    "Luuk",
    "Marloes",
    "Niels",
    "Olga",
    "Pieter",
    "Quinten",
    "Roos",
    "Sanne",
    "Tom",
    "Ursula",
    "Vincent",
    "Wendy",
    "Xander",
    "Yara",
    "Zeger",
    "Bianca",
    "Ruud",
    "Mirjam",
    "Stijn",
]
SURNAMES = [
    "Aerts",
    "Bongers",
    "Claessens",
    "Dassen",
    "Eurlings",
    "Frissen",
    "Geurts",
    "Hermans",
    "Jongen",
    "Kessels",
    "Lemmens",
    "Meertens",
    "Nijssen",
    "Ortmans",
    "Pelzer",
    "Quaedvlieg",
    "Ramakers",
    "Schepers",
    "Thewissen",
    "Vromen",
    "Wetzels",
    "Zinzen",
    "Bemelmans",
    "Crombach",
]

# organisation slug, discipline slug, job title, how many people
STAFF = [
    ("hp-kasteelpark", "huisarts", "Huisarts", 3),
    ("hp-kasteelpark", "praktijkondersteuner", "Praktijkondersteuner somatiek", 1),
    ("hp-kasteelpark", "praktijkondersteuner-ggz", "Praktijkondersteuner GGZ", 1),
    ("gc-mijnzicht", "huisarts", "Huisarts", 3),
    ("gc-mijnzicht", "praktijkondersteuner", "Praktijkondersteuner somatiek", 2),
    ("gc-mijnzicht", "diëtist", "Diëtist", 1),
    ("hp-heidezicht", "huisarts", "Huisarts", 2),
    ("hp-heidezicht", "praktijkondersteuner", "Praktijkondersteuner somatiek", 2),
    ("hp-heidezicht", "praktijkondersteuner-ggz", "Praktijkondersteuner GGZ", 1),
    ("wijkverpleging-parkstad", "wijkverpleegkundige", "Wijkverpleegkundige", 5),
    ("ggz-wijkteam-noord", "ggz-behandelaar", "Sociaal psychiatrisch verpleegkundige", 5),
    ("apotheek-slotplein", "apotheker", "Apotheker", 2),
    ("welzijn-samen", "welzijnswerker", "Welzijnswerker", 5),
    ("welzijn-samen", "wijkcoach", "Wijkcoach", 2),
    ("sociaal-wijkteam-noord", "maatschappelijk-werker", "Maatschappelijk werker", 4),
    ("sociaal-wijkteam-noord", "wijkcoach", "Wijkcoach", 2),
    ("schuldhulp-parkstad", "schuldhulpverlener", "Schuldhulpverlener", 5),
    ("jeugd-gezin-noord", "jeugdprofessional", "Jeugd- en gezinsprofessional", 5),
    ("ouderen-mijnlamp", "ouderenadviseur", "Ouderenadviseur", 3),
    ("ouderen-mijnlamp", "casemanager-dementie", "Casemanager dementie", 2),
    ("fysio-het-anker", "fysiotherapeut", "Fysiotherapeut", 3),
]

# people with a role besides professional: e-mail local part, name, roles, organisation
SPECIAL_ACCOUNTS = [
    ("beheer", "Beheerder Wijkplatform", [Role.PLATFORM_ADMIN], None),
    ("privacy", "Petra Privacy-Officer", [Role.PRIVACY_OFFICER], None),
    ("programma", "Mark Programmamanager", [Role.PROGRAMME_MANAGER], None),
    ("trainer", "Tessa Trainer", [Role.TRAINER, Role.PROFESSIONAL], "welzijn-samen"),
]

DEMO_DOMAIN = "demo.wijkplatform.example"

AVAILABILITY = [
    "maandag tot en met donderdag, 8.30–17.00 uur",
    "dinsdag, woensdag en vrijdag",
    "werkdagen, telefonisch spreekuur 8.00–9.00 uur",
    "maandag, woensdag en donderdag",
]
VISIBILITY_ROTATION = [Visibility.COLLEAGUES, Visibility.COLLEAGUES, Visibility.ORGANISATION]


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


def _people() -> list[tuple[str, str, str, str]]:
    """(name, organisation slug, discipline slug, job title) for every staff member."""
    people = []
    index = 0
    for organisation, discipline, job_title, count in STAFF:
        for _ in range(count):
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            surname = SURNAMES[(index * 7) % len(SURNAMES)]
            people.append((f"{first} {surname}", organisation, discipline, job_title))
            index += 1
    return people


def _local_part(name: str) -> str:
    return name.lower().replace(" ", ".")


@transaction.atomic
def seed() -> dict[str, int]:
    """Create or update the demo directory; return how many of each thing exist."""
    neighbourhoods = {}
    for slug, name, municipality, ranges in NEIGHBOURHOODS:
        neighbourhood, _ = Neighbourhood.objects.update_or_create(
            slug=slug, defaults={"name": name, "municipality": municipality}
        )
        for first, last in ranges:
            PostcodeRange.objects.get_or_create(neighbourhood=neighbourhood, first=first, last=last)
        neighbourhoods[slug] = neighbourhood
    import_boundaries(read_areas(BOUNDARIES.read_bytes(), municipality="Heerlen"))
    for term, alternatives in SYNONYMS:
        SearchSynonym.objects.update_or_create(term=term, defaults={"alternatives": alternatives})

    disciplines = {}
    for slug, name, domain in DISCIPLINES:
        disciplines[slug], _ = Discipline.objects.update_or_create(
            slug=slug, defaults={"name": name, "domain": domain}
        )

    organisations = {}
    for slug, name, kind, served, address, postcode, phone in ORGANISATIONS:
        organisation, _ = Organisation.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "address": address,
                "postcode": postcode,
                "city": "Heerlen" if not postcode.startswith("643") else "Hoensbroek",
                "phone": phone,
                "email": f"info@{slug}.example",
                "verified": True,
                "description": f"{name} ({kind.lower()}) in "
                + " en ".join(neighbourhoods[s].name for s in served)
                + ".",
            },
        )
        organisation.neighbourhoods.set([neighbourhoods[s] for s in served])
        organisations[slug] = organisation

    # Hash once: every demo account shares the published password, and hashing is slow by design.
    password_hash = make_password(DEMO_PASSWORD)
    themes = {}
    for position, (slug, name) in enumerate(SERVICE_THEMES):
        themes[slug], _ = ServiceTheme.objects.update_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
    for slug, theme_slugs in ORGANISATION_SERVICES.items():
        organisations[slug].services.set([themes[t] for t in theme_slugs])
    languages = {}
    for code, name in LANGUAGES:
        languages[code], _ = Language.objects.update_or_create(code=code, defaults={"name": name})
    tags = {}
    for name in sorted({tag for names in EXPERTISE.values() for tag in names}):
        tags[name], _ = ExpertiseTag.objects.get_or_create(
            slug=slugify(name), defaults={"name": name}
        )

    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}

    def account(local_part: str, name: str, roles: list[Role]) -> User:
        user, _ = User.objects.get_or_create(
            email=demo_email(local_part), defaults={"display_name": name, "password": password_hash}
        )
        user.groups.add(*(groups[role] for role in roles))
        # allauth requires a verified address before it lets someone in
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user

    def profile(
        user: User,
        organisation: str,
        discipline: str,
        job_title: str,
        n: int,
        verified: bool = True,
    ) -> Professional:
        name = user.display_name.split(" ")[0]
        place = " en ".join(x.name for x in organisations[organisation].neighbourhoods.all())
        professional, _ = Professional.objects.update_or_create(
            user=user,
            defaults={
                "job_title": job_title,
                "phone": f"06 0000 {1000 + n:04d}",
                "availability": AVAILABILITY[n % len(AVAILABILITY)],
                "phone_visibility": VISIBILITY_ROTATION[n % len(VISIBILITY_ROTATION)],
                "bio": (
                    f"Ik ben {name}, {job_title.lower()} in {place}. "
                    "Bel of stuur een bericht als u samen wilt kijken naar een inwoner "
                    "die hulp uit **meer domeinen** nodig heeft."
                ),
            },
        )
        professional.disciplines.set([disciplines[discipline]])
        professional.neighbourhoods.set(organisations[organisation].neighbourhoods.all())
        options = EXPERTISE[discipline]
        professional.expertise.set([tags[options[(n + i) % len(options)]] for i in range(2)])
        spoken = ["nl", "li"] if n % 3 else ["nl"]
        if n % 7 == 0:
            spoken.append(["de", "en", "tr", "ar", "pl", "uk", "fr"][n % 7 or (n // 7) % 7])
        professional.languages.set([languages[code] for code in spoken])
        Membership.objects.update_or_create(
            professional=professional,
            organisation=organisations[organisation],
            defaults={"verified": verified},
        )
        return professional

    for local_part, name, roles, organisation in SPECIAL_ACCOUNTS:
        user = account(local_part, name, roles)
        if Role.PLATFORM_ADMIN in roles:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if organisation:
            profile(user, organisation, "welzijnswerker", "Trainer samenwerken in de wijk", 0)

    seen_orgs: set[str] = set()
    for n, (name, organisation, discipline, job_title) in enumerate(_people(), start=1):
        user = account(_local_part(name), name, [Role.PROFESSIONAL])
        profile(user, organisation, discipline, job_title, n)
        if organisation not in seen_orgs:
            # the first person listed for each organisation administers it
            seen_orgs.add(organisation)
            user.groups.add(groups[Role.ORGANISATION_ADMIN])
            Membership.objects.filter(
                professional=user.professional, organisation=organisations[organisation]
            ).update(role=Membership.Role.ADMIN)

    # someone who has just joined and waits for their organisation to confirm them
    newcomer = account("nieuw", "Noor Nieuwenhuis", [Role.PROFESSIONAL])
    profile(newcomer, "welzijn-samen", "welzijnswerker", "Welzijnswerker", 99, verified=False)

    with search_refresh_batch():
        for professional in Professional.objects.all():
            refresh_verified(professional)

    return {
        "neighbourhoods": Neighbourhood.objects.count(),
        "search synonyms": SearchSynonym.objects.count(),
        "organisations": Organisation.objects.count(),
        "professionals": Professional.objects.count(),
        "users": User.objects.count(),
    }
