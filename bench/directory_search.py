"""Server-side latency of the directory search at scale.

Fills its own PostgreSQL database with fictional professionals, then times the code path the
directory page runs: ``DirectorySearchForm(data).is_valid()`` and ``search(cleaned_data,
page)``, evaluating everything the page shows (the page of people with the names of their
organisations and neighbourhoods, the total count and the facets). Counts the SQL queries of each
search too.

    .venv/bin/python -m bench.directory_search [--quick] [--keep] [--write-docs]

Every name, organisation and phone number it creates is invented.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench._common import (
    BASE_DIR,
    DEFAULT_DATABASE_URL,
    configure_django,
    cpu_reference_ms,
    markdown_table,
    percentile,
    recreate_database,
    settle_database,
    table_count,
    write_section,
)

SECTION = "directory_search"
# What the generating process made, handed to the new process that times the searches.
GENERATED_ENV = "WIJK_BENCH_DIRECTORY_GENERATED"
TARGET_P95_MS = 50.0
SEED = 2026

# Neighbourhoods besides the two of the first deployment (taken from demo.directory); the extra
# ones are invented, so that filters and facets have more than two values.
EXTRA_NEIGHBOURHOODS = [
    ("kastanjehof", "Kastanjehof", "Heerlen", [(6415, 6418)]),
    ("mijnheuvel", "Mijnheuvel", "Parkstad-West", [(6441, 6443)]),
    ("beekdal-zuid", "Beekdal-Zuid", "Parkstad-West", [(6451, 6452), (6455, 6455)]),
]
# Relative chance that a professional works in each neighbourhood: the pilot areas are busiest.
NEIGHBOURHOOD_WEIGHTS = {
    "hoensbroek": 4,
    "heerlen-noord": 4,
    "kastanjehof": 2,
    "mijnheuvel": 1,
    "beekdal-zuid": 1,
}

FIRST_NAMES = [
    "Anouk", "Bram", "Chantal", "Daan", "Esther", "Floor", "Gijs", "Hanneke", "Ilse", "Joris",
    "Karin", "Luuk", "Marloes", "Niels", "Olga", "Pieter", "Quinten", "Roos", "Sanne", "Tom",
    "Ursula", "Vincent", "Wendy", "Xander", "Yara", "Zeger", "Bianca", "Ruud", "Mirjam",
    "Stijn", "Annelies", "Bart", "Carla", "Dirk", "Eline", "Frank", "Germaine", "Hans", "Inge",
    "Jeroen", "Kim", "Lars", "Maud", "Nicole", "Paul", "Renske", "Sjoerd", "Tamara", "Wim",
    "Yvonne", "Fatima", "Mehmet", "Aylin", "Youssef", "Olena", "Piotr", "Noor", "Lotte",
    "Jasper", "Femke", "Sem", "Lieke", "Thijs", "Mieke", "Rik",
]  # fmt: skip
SURNAME_ROOTS = [
    "Kessel", "Bonger", "Claess", "Dass", "Eurling", "Friss", "Geurt", "Herman", "Jong",
    "Lemm", "Meert", "Nijss", "Ortman", "Pelz", "Ramaker", "Schep", "Thewiss", "Vrom", "Wetz",
    "Zinz", "Bemel", "Cromb", "Heut", "Frijn", "Lardin", "Mert", "Noll", "Peet", "Rutt",
    "Scheff", "Spronck", "Vaess", "Hoog", "Brouw", "Smeet", "Bosch", "Kuyp", "Linss", "Mul",
    "Dirk", "Gorr", "Hend", "Jans", "Kox", "Leun", "Merk", "Paum", "Reyn", "Stass", "Wijn",
]  # fmt: skip
SURNAME_ENDINGS = [
    "en",
    "ers",
    "s",
    "mans",
    "ink",
    "ing",
    "sen",
    "hof",
    "veld",
    "berg",
    "man",
    "kens",
]
# Most Dutch surnames have no particle; some have one.
PARTICLES = ["", "", "", "", "", "", "van", "de", "van der", "van den"]

ORGANISATION_KINDS = [
    ("Huisartsenpraktijk", "Huisartsenpraktijk"),
    ("Gezondheidscentrum", "Gezondheidscentrum"),
    ("Wijkverpleging", "Thuiszorg"),
    ("GGZ-team", "GGZ-aanbieder"),
    ("Apotheek", "Apotheek"),
    ("Welzijn", "Welzijnsorganisatie"),
    ("Sociaal Wijkteam", "Sociaal wijkteam"),
    ("Schuldhulp", "Schuldhulpverlening"),
    ("Jeugd & Gezin", "Jeugdhulp"),
    ("Ouderenadvies", "Ouderenzorg"),
    ("Fysiotherapie", "Paramedische praktijk"),
]
ORGANISATION_PLACES = [
    "Linde", "Eik", "Beuk", "Kastanje", "Mijnlamp", "Schacht", "Slot", "Heide", "Beek",
    "Molen", "Kapel", "Hoeve", "Akker", "Weide", "Bron", "Vijver", "Kruis", "Poort", "Toren",
    "Brug",
]  # fmt: skip
ORGANISATION_SUFFIXES = ["", "hof", "plein", "park", "zicht", "dal", "veld", "hoek", "straat"]

EXPERTISE_TOPICS = [
    "schulden", "eenzaamheid", "opvoeding", "mantelzorg", "dementie", "armoede", "wonen",
    "leefstijl", "verslaving", "angst", "rouw", "werk", "taal", "gezondheidsvaardigheden",
    "zingeving", "valpreventie",
]  # fmt: skip
EXPERTISE_GROUPS = [
    "bij jongeren", "bij ouderen", "bij gezinnen", "bij statushouders", "bij mantelzorgers",
    "bij mensen met een beperking", "in de wijk",
]  # fmt: skip
EXPERTISE_TAGS = 150

BIO_SENTENCES = [
    "Ik werk graag samen met collega's uit het sociaal domein.",
    "Bel gerust als je twijfelt of iemand bij mij goed zit.",
    "Ik denk mee bij vragen over {tag}.",
    "Samen met de huisarts en het wijkteam zoeken we naar wat een bewoner nodig heeft.",
    "Ik ken de wijk {place} goed en weet de weg naar vrijwilligers en voorzieningen.",
    "Mijn aandacht gaat uit naar {tag} en naar wat mensen zelf kunnen.",
    "Ik ben ook bereikbaar via het wijkplatform voor korte vragen.",
    "Verwijzen kan zonder wachtlijst voor bewoners uit {place}.",
]


@dataclass(frozen=True)
class Case:
    """One search as a user would type it into the directory page."""

    kind: str
    label: str
    params: dict[str, str]
    page: int | None = None


@dataclass
class Measurement:
    case: Case
    results: int = 0
    total: int = 0
    queries: int = 0
    sql_ms: float = 0.0
    slowest_sql: str = ""
    slowest_sql_ms: float = 0.0
    timings_ms: list[float] = field(default_factory=list)


# --- set-up -------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> bool:
    """Get a database with the requested data set; True if an existing one was kept."""
    have = table_count(args.database_url, "directory_professional")
    orgs = table_count(args.database_url, "directory_organisation")
    generated = GENERATED_ENV in os.environ
    keep = (args.keep or generated) and have == args.professionals and orgs == args.organisations
    if generated and not keep:
        raise SystemExit("The data the first process generated is not in the database.")
    if not keep:
        recreate_database(args.database_url)
    configure_django(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return keep


def _surname(rng: random.Random) -> str:
    base = rng.choice(SURNAME_ROOTS) + rng.choice(SURNAME_ENDINGS)
    particle = rng.choice(PARTICLES)
    return f"{particle} {base}" if particle else base


def _expertise_names(rng: random.Random, base: list[str]) -> list[str]:
    names = list(dict.fromkeys(base))
    combos = [f"{topic} {group}" for topic in EXPERTISE_TOPICS for group in EXPERTISE_GROUPS]
    rng.shuffle(combos)
    names += [c for c in combos if c not in names][: max(0, EXPERTISE_TAGS - len(names))]
    return names


def generate(professionals: int, organisations: int, seed: int) -> dict[str, Any]:
    """Create the fictional directory with bulk inserts; return what it made and how long."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from accounts.models import User
    from demo import directory as demo
    from directory.models import (
        Discipline,
        ExpertiseTag,
        Language,
        Membership,
        Neighbourhood,
        Organisation,
        PostcodeRange,
        Professional,
        Visibility,
    )

    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        neighbourhoods = []
        for slug, name, municipality, ranges in [*demo.NEIGHBOURHOODS, *EXTRA_NEIGHBOURHOODS]:
            neighbourhood = Neighbourhood.objects.create(
                slug=slug, name=name, municipality=municipality
            )
            PostcodeRange.objects.bulk_create(
                PostcodeRange(neighbourhood=neighbourhood, first=first, last=last)
                for first, last in ranges
            )
            neighbourhoods.append((neighbourhood, ranges))
        weights = [NEIGHBOURHOOD_WEIGHTS.get(n.slug, 1) for n, _ranges in neighbourhoods]
        disciplines = Discipline.objects.bulk_create(
            Discipline(slug=slug, name=name, domain=domain)
            for slug, name, domain in demo.DISCIPLINES
        )
        languages = {
            lang.code: lang
            for lang in Language.objects.bulk_create(
                Language(code=code, name=name) for code, name in demo.LANGUAGES
            )
        }
        demo_tags = sorted({tag for names in demo.EXPERTISE.values() for tag in names})
        tags = ExpertiseTag.objects.bulk_create(
            ExpertiseTag(name=name, slug=slugify(name)[:60])
            for name in _expertise_names(rng, demo_tags)
        )
        tags_by_name = {t.name: t for t in tags}

        orgs: list[Organisation] = []
        seen: dict[str, int] = defaultdict(int)
        org_neighbourhoods: list[tuple[int, list[Neighbourhood]]] = []
        for index in range(organisations):
            label, kind = ORGANISATION_KINDS[index % len(ORGANISATION_KINDS)]
            place = rng.choice(ORGANISATION_PLACES) + rng.choice(ORGANISATION_SUFFIXES)
            name = f"{label} De {place}"
            seen[name] += 1
            if seen[name] > 1:
                name = f"{name} {seen[name]}"
            served = rng.choices([n for n, _r in neighbourhoods], weights=weights, k=2)
            first, last = next(r for n, r in neighbourhoods if n == served[0])[0]
            orgs.append(
                Organisation(
                    name=name,
                    slug=f"{slugify(name)}-{index}",
                    kind=kind,
                    description=f"{name} ({kind.lower()}) in {served[0].name}.",
                    address=f"{rng.choice(ORGANISATION_PLACES)}straat {rng.randint(1, 120)}",
                    postcode=f"{rng.randint(first, last)} {rng.choice('ABCDEGHJKL')}"
                    f"{rng.choice('ABCDEGHJKL')}",
                    city=served[0].municipality,
                    phone=f"045 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    email=f"info@org{index}.bench.example",
                    verified=True,
                )
            )
            org_neighbourhoods.append((index, list(dict.fromkeys(served))))
        orgs = Organisation.objects.bulk_create(orgs, batch_size=1000)
        Organisation.neighbourhoods.through.objects.bulk_create(
            Organisation.neighbourhoods.through(
                organisation_id=orgs[index].pk, neighbourhood_id=n.pk
            )
            for index, served in org_neighbourhoods
            for n in served
        )

        # One unusable password for all: nobody signs in to benchmark data.
        password = make_password(None)
        users = []
        for index in range(professionals):
            name = f"{rng.choice(FIRST_NAMES)} {_surname(rng)}"
            users.append(
                User(
                    email=f"p{index}@bench.wijkplatform.example",
                    display_name=name,
                    password=password,
                )
            )
        users = User.objects.bulk_create(users, batch_size=2000)

        people = []
        plans = []
        for user in users:
            chosen = rng.sample(disciplines, k=rng.choice([1, 1, 1, 2]))
            served = set(rng.choices([n for n, _r in neighbourhoods], weights=weights, k=3))
            served_list = sorted(served, key=lambda n: n.pk)[: rng.randint(1, 3)]
            related = [tags_by_name[t] for t in demo.EXPERTISE.get(chosen[0].slug, [])]
            pool = related + rng.sample(tags, k=4)
            expertise = list(dict.fromkeys(rng.sample(pool, k=rng.randint(0, 4))))
            spoken = ["nl"] if rng.random() < 0.9 else [rng.choice(["de", "en", "tr", "ar"])]
            if rng.random() < 0.4:
                extra = rng.choice(["li", "li", "de", "en", "fr", "tr", "ar", "pl", "uk"])
                spoken = list(dict.fromkeys([*spoken, extra]))
            place = served_list[0].name
            topic = expertise[0].name if expertise else chosen[0].name.lower()
            bio = " ".join(s.format(tag=topic, place=place) for s in rng.sample(BIO_SENTENCES, k=2))
            people.append(
                Professional(
                    user=user,
                    job_title=("Senior " if rng.random() < 0.1 else "") + chosen[0].name,
                    availability=rng.choice(demo.AVAILABILITY),
                    bio=bio,
                    phone=f"06 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                    phone_visibility=rng.choice(demo.VISIBILITY_ROTATION),
                    email_visibility=Visibility.COLLEAGUES,
                    verified=True,
                )
            )
            plans.append((chosen, served_list, expertise, spoken, rng.choice(orgs)))
        people = Professional.objects.bulk_create(people, batch_size=2000)

        through = Professional.disciplines.through
        through.objects.bulk_create(
            (
                through(professional_id=p.pk, discipline_id=d.pk)
                for p, plan in zip(people, plans, strict=True)
                for d in plan[0]
            ),
            batch_size=5000,
        )
        through = Professional.neighbourhoods.through
        through.objects.bulk_create(
            (
                through(professional_id=p.pk, neighbourhood_id=n.pk)
                for p, plan in zip(people, plans, strict=True)
                for n in plan[1]
            ),
            batch_size=5000,
        )
        through = Professional.expertise.through
        through.objects.bulk_create(
            (
                through(professional_id=p.pk, expertisetag_id=t.pk)
                for p, plan in zip(people, plans, strict=True)
                for t in plan[2]
            ),
            batch_size=5000,
        )
        through = Professional.languages.through
        through.objects.bulk_create(
            (
                through(professional_id=p.pk, language_id=languages[code].pk)
                for p, plan in zip(people, plans, strict=True)
                for code in plan[3]
            ),
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            (
                Membership(
                    professional_id=p.pk,
                    organisation_id=plan[4].pk,
                    verified=True,
                    verified_at=now,
                    created_at=now,
                )
                for p, plan in zip(people, plans, strict=True)
            ),
            batch_size=5000,
        )
    return {
        "generate_s": time.perf_counter() - started,
        "neighbourhoods": len(neighbourhoods),
        "disciplines": len(disciplines),
        "expertise": len(tags),
        "languages": len(languages),
    }


def fill_search_documents() -> dict[str, Any]:
    """Store every professional's search row with ``directory.services.refresh_search``.

    Times it for one professional per call (on a sample) and for one call with 1,000, then
    refreshes everyone in one call (it works in statements of a few thousand rows).
    """
    from django.db import connection, transaction

    from directory.models import Professional
    from directory.services import refresh_search

    ids = list(Professional.objects.order_by("pk").values_list("pk", flat=True))
    sample = ids[:: max(1, len(ids) // 200)][:200]
    started = time.perf_counter()
    for pk in sample:
        refresh_search([pk])
    per_call_ms = (time.perf_counter() - started) * 1000 / len(sample)
    batch = ids[:1000]
    started = time.perf_counter()
    refresh_search(batch)
    batch_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with transaction.atomic():
        refresh_search(ids)
    bulk_s = time.perf_counter() - started
    table = Professional._meta.db_table
    with connection.cursor() as cursor:
        # spread "recently updated" over a few weeks so that sort has something to order
        cursor.execute(
            f"UPDATE {table} SET updated_at = now() - (id % 997) * interval '1 hour'"  # noqa: S608
        )
    return {
        "refresh_per_call_ms": per_call_ms,
        "refresh_batch_ms": batch_ms,
        "refresh_batch_size": len(batch),
        "bulk_s": bulk_s,
        "sample": len(sample),
    }


def analyze() -> None:
    """Statistics for the fresh tables, as autovacuum would have them by now in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def vacuum_analyze() -> float:
    """Compact the professionals table (set-up rewrote every row) and refresh statistics."""
    from django.db import connection

    from directory.models import Professional

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (FULL, ANALYZE) {Professional._meta.db_table}")
    settle_database()
    return time.perf_counter() - started


# --- what is searched -------------------------------------------------------------------------


def _misspelt(word: str) -> str:
    """The word with one letter in the middle replaced by a neighbouring one on the keyboard."""
    middle = len(word) // 2
    swap = {"a": "e", "e": "a", "i": "ie", "o": "oo", "u": "uu", "s": "z", "n": "m", "r": "rr"}
    for offset in range(len(word)):
        index = (middle + offset) % len(word)
        if word[index].lower() in swap:
            return word[:index] + swap[word[index].lower()] + word[index + 1 :]
    return word[:middle] + word[middle + 1 :]


def cases() -> list[Case]:
    from directory.models import Professional

    # A name taken from the data, so that the name searches have a person to find.
    person = Professional.objects.select_related("user").order_by("pk")[7].user.display_name
    surname = person.split()[-1]
    return [
        Case("text", "schuld", {"q": "schuld"}),
        Case("text", "huisarts", {"q": "huisarts"}),
        Case("text", "wijkverpleegkundige", {"q": "wijkverpleegkundige"}),
        Case("text", "jeugd", {"q": "jeugd"}),
        Case("text", f"misspelt surname “{_misspelt(surname)}”", {"q": _misspelt(surname)}),
        Case("text", f"full name “{person}”", {"q": person}),
        Case("text + filter", "schuld, Hoensbroek", {"q": "schuld", "neighbourhood": "hoensbroek"}),
        Case(
            "text + filter", "dementie, elderly care", {"q": "dementie", "domain": "elderly_care"}
        ),
        Case("text + filter", "armoede, postcode 6432", {"q": "armoede", "postcode": "6432"}),
        Case("filter", "postcode 6432, huisarts", {"postcode": "6432", "discipline": "huisarts"}),
        Case(
            "filter",
            "Heerlen Noord, social domain",
            {"neighbourhood": "heerlen-noord", "domain": "social"},
        ),
        Case("filter", "no query (landing page)", {}),
        Case("page 3", "schuld, page 3", {"q": "schuld"}, page=3),
        Case("page 3", "no query, page 3", {}, page=3),
    ]


# --- measuring ----------------------------------------------------------------------------------


def run_search(case: Case) -> tuple[int, int]:
    """What the directory page does for ``case``; returns (people on the page, total found)."""
    from directory.search import DirectorySearchForm, search

    form = DirectorySearchForm(case.params)
    if not form.is_valid():
        raise SystemExit(f"{case.label}: the form refused {case.params}: {form.errors.as_json()}")
    result = search(form.cleaned_data, case.page)
    people = list(result.page.object_list)
    for professional in people:
        _ = professional.user.display_name, professional.organisation_names
        _ = professional.neighbourhood_names, professional.verified_organisation_ids
    total = result.page.paginator.count
    _ = result.page.paginator.num_pages, result.page.has_next()
    for values in result.facets.values():
        list(values)
    return len(people), total


def count_queries(case: Case, call: Callable[[Case], Any], measurement: Measurement) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        outcome = call(case)
    if isinstance(outcome, tuple):
        measurement.results, measurement.total = outcome
    measurement.queries = len(captured.captured_queries)
    times = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    measurement.sql_ms = sum(t for t, _sql in times)
    if times:
        measurement.slowest_sql_ms, measurement.slowest_sql = max(times)


def measure(
    all_cases: list[Case], call: Callable[[Case], Any], total_runs: int
) -> list[Measurement]:
    """Warm up, count queries, then time ``call`` round-robin over the cases."""
    from config.startup import freeze_loaded_objects

    measurements = [Measurement(case) for case in all_cases]
    for case in all_cases:
        call(case)
    for case, measurement in zip(all_cases, measurements, strict=True):
        count_queries(case, call, measurement)
    runs = max(1, math.ceil(total_runs / len(all_cases)))
    freeze_loaded_objects()  # as a daphne process does once it has started (config.asgi)
    for _round in range(runs):
        for case, measurement in zip(all_cases, measurements, strict=True):
            started = time.perf_counter()
            call(case)
            measurement.timings_ms.append((time.perf_counter() - started) * 1000)
    return measurements


def http_caller(viewer_user: Any) -> tuple[Callable[[Case], Any] | None, str]:
    """A function that requests the directory page for a case, or None and why not."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("directory:index")
    except NoReverseMatch:
        return None, "the URL name directory:index does not exist"
    client = Client(SERVER_NAME="localhost")
    client.force_login(viewer_user)

    def call(case: Case) -> int:
        params = dict(case.params)
        if case.page:
            params["page"] = str(case.page)
        response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code} for {params}")
        return len(response.content)

    try:
        call(Case("probe", "probe", {}))
    except Exception as error:  # any failure means: skip this part and say why
        return None, f"GET {url} failed: {error}"
    return call, ""


# --- reporting ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}"


def result_tables(measurements: list[Measurement], *, with_results: bool = True) -> str:
    rows = []
    for m in measurements:
        row: list[object] = [m.case.kind, m.case.label]
        if with_results:
            row += [f"{m.results} of {m.total:,}"]
        row += [
            m.queries,
            _ms(percentile(m.timings_ms, 0.5)),
            _ms(percentile(m.timings_ms, 0.95)),
            _ms(max(m.timings_ms)),
        ]
        rows.append(row)
    header = ["kind", "query"] + (["shown"] if with_results else [])
    header += ["SQL queries", "p50 ms", "p95 ms", "max ms"]
    per_query = markdown_table(header, rows)

    by_kind: dict[str, list[float]] = defaultdict(list)
    for m in measurements:
        by_kind[m.case.kind] += m.timings_ms
    everything = [t for m in measurements for t in m.timings_ms]
    summary_rows = [
        [kind, len(t), _ms(percentile(t, 0.5)), _ms(percentile(t, 0.95)), _ms(max(t))]
        for kind, t in [*by_kind.items(), ("all", everything)]
    ]
    summary = markdown_table(["kind", "searches", "p50 ms", "p95 ms", "max ms"], summary_rows)
    return f"{per_query}\n\n{summary}"


def machine() -> str:
    from django.db import connection

    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB, "
    except (OSError, ValueError, IndexError):
        pass
    system = platform.system()
    with contextlib.suppress(OSError):
        system = platform.freedesktop_os_release().get("PRETTY_NAME", system)
    server = connection.pg_version
    return (
        f"{os.cpu_count()} cores, {memory}{system}, "
        f"PostgreSQL {server // 10000}.{server % 10000}, Python {platform.python_version()} "
        f"(reference loop {cpu_reference_ms():.0f} ms, see Machine)"
    )


def command_line() -> str:
    niceness = os.nice(0)
    prefix = f"nice -n {niceness} " if niceness else ""
    return prefix + ".venv/bin/python -m bench.directory_search " + shlex.join(sys.argv[1:])


def report(
    args: argparse.Namespace,
    made: dict[str, Any],
    direct: list[Measurement],
    http: list[Measurement] | None,
    http_note: str,
) -> str:
    everything = [t for m in direct for t in m.timings_ms]
    p95 = percentile(everything, 0.95)
    worst = max(direct, key=lambda m: percentile(m.timings_ms, 0.95))
    verdict = "met" if percentile(worst.timings_ms, 0.95) < TARGET_P95_MS else "not met"
    runs = len(direct[0].timings_ms)
    lines = [
        f"Measured {datetime.now().astimezone().date().isoformat()} on {machine()}.",
        "",
        "```",
        command_line().strip(),
        "```",
        "",
        f"Data: {args.professionals:,} verified professionals (each with a user), "
        f"{args.organisations:,} organisations, {made.get('neighbourhoods', '?')} neighbourhoods, "
        f"{made.get('disciplines', '?')} disciplines, {made.get('expertise', '?')} expertise "
        f"tags, {made.get('languages', '?')} languages; fictional, generated with seed "
        f"{args.seed}.",
    ]
    if "refresh_per_call_ms" in made:
        lines += [
            "",
            f"Set-up: data {made['generate_s']:.1f} s. Search rows: "
            f"`directory.services.refresh_search` takes {made['refresh_per_call_ms']:.1f} ms "
            f"per call for one professional (on a sample of {made['sample']}) and "
            f"{made['refresh_batch_ms']:.0f} ms for one call with "
            f"{made['refresh_batch_size']:,}; one call for all {args.professionals:,} took "
            f"{made['bulk_s']:.1f} s (timed after an `ANALYZE` of the new data). Then the "
            f"professionals table is compacted with "
            f"`VACUUM (FULL, ANALYZE)`, the database analysed with `VACUUM ANALYZE` and "
            f"written out with `CHECKPOINT` ({made['vacuum_s']:.1f} s). The searches are timed "
            "in a new process, as in a server that did not make the data itself.",
        ]
    lines += [
        "",
        "Timed: `DirectorySearchForm(data).is_valid()` and `search(cleaned_data, page)` in one "
        "process against local PostgreSQL, then evaluating everything the page shows (the page "
        "of people with the names of their organisations and neighbourhoods, the total count, the "
        f"facets). One warm-up and one query-counting run per query, then {runs} timed runs each, "
        "interleaved. "
        "Percentiles interpolate between ranks. Load average (1 min) of the machine when the "
        f"timing started and ended: {made['load'][0]:.1f} and {made['load'][1]:.1f}; other work "
        "on the two cores shows up in the upper percentiles.",
        "",
        result_tables(direct),
        "",
        f"Target: p95 under {TARGET_P95_MS:.0f} ms for every query — **{verdict}** "
        f"(overall p95 {_ms(p95)} ms; slowest query “{worst.case.label}” p95 "
        f"{_ms(percentile(worst.timings_ms, 0.95))} ms).",
        "",
        "### Through the HTTP view",
        "",
    ]
    if http is None:
        lines.append(f"Skipped: {http_note}.")
    else:
        lines += [
            "`GET /directory/?…` with Django's test client, signed in as a verified "
            "professional: middleware, session, the verified gate, the view and the template, "
            "no network. SQL queries include the session and user look-ups.",
            "",
            result_tables(http, with_results=False),
        ]
    return "\n".join(lines)


def explain(measurements: list[Measurement], how_many: int) -> None:
    """Print EXPLAIN ANALYZE for the slowest SQL statements seen."""
    from django.db import connection

    slowest = sorted(measurements, key=lambda m: m.slowest_sql_ms, reverse=True)[:how_many]
    for m in slowest:
        print(f"\n-- {m.case.label}: slowest statement took {m.slowest_sql_ms:.1f} ms")
        print(m.slowest_sql)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + m.slowest_sql)
            for (line,) in cursor.fetchall():
                print(line)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.directory_search", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--professionals", type=int, default=None, help="default 20000")
    parser.add_argument("--organisations", type=int, default=None, help="default 2000")
    parser.add_argument(
        "--queries", type=int, default=None, help="timed searches in all (default 300)"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database if it holds this data set"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2000 professionals, 50 searches"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP-level measurement")
    parser.add_argument(
        "--explain", type=int, default=0, metavar="N", help="EXPLAIN ANALYZE the N slowest SQL"
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="update the section in docs/BENCHMARKS.md"
    )
    args = parser.parse_args(argv)
    defaults = (2000, 200, 50) if args.quick else (20000, 2000, 300)
    for name, default in zip(("professionals", "organisations", "queries"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.professionals < 100 or args.organisations < 1 or args.queries < 1:
        parser.error("use at least 100 professionals, 1 organisation and 1 query")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    kept = prepare(args)
    from django.conf import settings
    from django.db import connection

    # Production runs without DEBUG; with it Django would also keep every SQL statement.
    settings.DEBUG = False
    made: dict[str, Any] = {}
    if kept and GENERATED_ENV in os.environ:
        made = json.loads(os.environ.pop(GENERATED_ENV))
    elif kept:
        print(f"Reusing the data in {settings.DATABASES['default']['NAME']}.", file=sys.stderr)
        from directory.models import Discipline, ExpertiseTag, Language, Neighbourhood

        made = {
            "neighbourhoods": Neighbourhood.objects.count(),
            "disciplines": Discipline.objects.count(),
            "expertise": ExpertiseTag.objects.count(),
            "languages": Language.objects.count(),
        }
    else:
        print("Generating data…", file=sys.stderr)
        made = generate(args.professionals, args.organisations, args.seed)
        print("Storing search rows…", file=sys.stderr)
        analyze()
        made |= fill_search_documents()
        made["vacuum_s"] = vacuum_analyze()
        # The searches are timed in a new process, as a server process that serves them and did
        # not make 20,000 profiles first: timed here, they measured up to a third slower.
        connection.close()
        connection.close_pool()
        env = dict(os.environ, **{GENERATED_ENV: json.dumps(made)})
        arguments = sys.argv[1:] if argv is None else argv
        command = [sys.executable, "-m", "bench.directory_search", *arguments]
        return subprocess.run(command, env=env, cwd=BASE_DIR, check=False).returncode  # noqa: S603

    all_cases = cases()
    print(f"Timing {len(all_cases)} queries…", file=sys.stderr)
    load_before = os.getloadavg()[0]
    direct = measure(all_cases, run_search, args.queries)

    http: list[Measurement] | None = None
    http_note = "--no-http was given"
    if not args.no_http:
        from directory.models import Professional

        viewer = Professional.objects.select_related("user").order_by("pk").first()
        call, http_note = http_caller(viewer.user)
        if call is not None:
            print("Timing the HTTP view…", file=sys.stderr)
            http = measure(all_cases, call, args.queries)

    made["load"] = (load_before, os.getloadavg()[0])
    text = report(args, made, direct, http, http_note)
    print(text)
    if args.explain:
        explain(direct, args.explain)
    if args.write_docs:
        write_section(SECTION, text)
        print(f"\nUpdated the {SECTION} section of docs/BENCHMARKS.md.", file=sys.stderr)
    connection.close()
    connection.close_pool()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
