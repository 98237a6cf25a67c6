"""Message and article search at scale: server-side and HTTP latency on PostgreSQL.

Fills its own PostgreSQL database with invented Dutch messages (channels, closed channels and
direct conversations, each person a member of a realistic subset) or knowledge articles with
attachment text, generated in SQL (generate_series) rather than row by row. Then it times what
a signed-in professional runs:

* server side: the search form, the search function and the page the view shows (its rows and
  its count), as the view evaluates them;
* through HTTP: ``GET`` of the search page with Django's test client (middleware, view and
  template included).

    .venv/bin/python -m bench.search_scale messages [--quick] [--keep] [--write-docs]
    .venv/bin/python -m bench.search_scale articles [--quick] [--keep] [--write-docs]

Every name and text it creates is invented.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench._common import (
    configure_django,
    cpu_reference_ms,
    markdown_table,
    percentile,
    recreate_database,
    settle_database,
    table_count,
    write_section,
)

TARGET_P95_MS = 50.0
SEED = 2026
DEFAULT_URLS = {
    "messages": "postgres://postgres@127.0.0.1:5432/wijkplatform_bench_search_messages",
    "articles": "postgres://postgres@127.0.0.1:5432/wijkplatform_bench_search_articles",
}
SECTIONS = {"messages": "message_search", "articles": "article_search"}

# Words of everyday talk between care and welfare professionals; the first ones are the most
# frequent (texts draw from the list with a skew, as real language does).
WORDS = """
de het een en van ik je we is dat niet voor met op in aan bij ook nog maar dan wel
morgen vandaag graag even dank bedankt vraag afspraak bewoner cliënt huisarts zorg
overleg wijkteam gesprek bellen mail terug week volgende maandag dinsdag woensdag donderdag
vrijdag ochtend middag uur thuis bezoek huisbezoek dossier verwijzing aanmelding intake
schulden schuldhulp budget beheer inkomen uitkering toeslag huur achterstand betalen
eenzaamheid dementie mantelzorg mantelzorger ondersteuning dagbesteding thuiszorg
wijkverpleging medicatie apotheek recept pijn val valpreventie rollator revalidatie
ziekenhuis ontslag opname nazorg fysiotherapie ergotherapie diëtist leefstijl beweging
jeugd gezin ouders kinderen school opvoeding jeugdhulp veilig thuis signaal zorgen
ggz psycholoog angst depressie somber slapen verslaving alcohol rouw zingeving
woning verhuizing woningcorporatie buren overlast schimmel vocht energie armoede
voedselbank taal statushouder inburgering vrijwilliger buurthuis koffie activiteit
plan doel evaluatie rapportage terugkoppeling toestemming privacy casus regie
hoensbroek heerlen noord centrum wijk straat buurt gemeente wmo indicatie aanvraag
besluit bezwaar termijn wachtlijst spoed urgent rustig goed prima lastig moeilijk
samen verder kijken regelen sturen delen bespreken doorsturen inplannen verzetten
protocol training scholing webinar artikel richtlijn handreiking folder formulier
""".split()  # noqa: SIM905

# Dutch glues words together: these endings make a long tail of rarer compounds
# ("schuldhulpverlener", "zorgplan"), so that a rare word really is rare.
ENDINGS = """
plan team vraag overleg kosten regeling aanbod verlener werker loket punt gesprek lijst
dossier traject netwerk
""".split()  # noqa: SIM905


def compounds(rng: random.Random) -> list[str]:
    made = [w + e for w in WORDS[22:] for e in ENDINGS if not w.endswith(e)]
    rng.shuffle(made)
    return made


# One word of a generated text: mostly a frequent word, otherwise a compound from the long tail.
RANDOM_WORD_SQL = (
    "CASE WHEN random() < 0.75 "
    "THEN (%(words)s::text[])[1 + floor(power(random(), 1.6) * %(nwords)s)::int] "
    "ELSE (%(compounds)s::text[])[1 + floor(power(random(), 3) * %(ncompounds)s)::int] END"
)


def _vocabulary() -> dict[str, Any]:
    tail = compounds(random.Random(SEED))
    return {"words": WORDS, "nwords": len(WORDS), "compounds": tail, "ncompounds": len(tail)}


CLOSED_NAMES = ["casus", "team", "overleg", "project", "netwerk", "werkgroep", "intervisie"]
OPEN_TOPICS = [
    "schuldhulp", "dementie", "jeugd", "ggz", "wonen", "mantelzorg", "valpreventie",
    "eenzaamheid", "armoede", "huisartsen", "wijkverpleging", "vrijwilligers", "taal",
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    label: str
    params: dict[str, str]


@dataclass
class Measurement:
    case: Case
    total: int = 0
    shown: int = 0
    capped: bool = False
    queries: int = 0
    server_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)
    explain_ms: float = 0.0


# --- data ---------------------------------------------------------------------------------------


def _sql(statement: str, params: list[Any] | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _make_users(count: int) -> list[Any]:
    """Verified professionals (the search pages are for them only)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from directory.models import Professional

    password = make_password(None)
    users = User.objects.bulk_create(
        (
            User(email=f"u{i}@bench.wijkplatform.example", display_name=f"Collega {i}",
                 password=password)
            for i in range(count)
        ),
        batch_size=2000,
    )  # fmt: skip
    Professional.objects.bulk_create(
        (Professional(user=u, job_title="Wijkverpleegkundige", verified=True) for u in users),
        batch_size=2000,
    )
    return users


def generate_messages(messages: int, users: int, seed: int) -> dict[str, Any]:
    """Users, channels of three kinds, memberships, then ``messages`` messages in SQL."""
    from django.db import transaction

    from channels_app.models import Channel, Membership

    rng = random.Random(seed)
    started = time.perf_counter()
    n_open = max(5, users // 20)
    n_closed = max(10, users // 8)
    n_direct = max(20, users // 2)
    with transaction.atomic():
        people = _make_users(users)
        channels = []
        for i in range(n_open):
            topic = OPEN_TOPICS[i % len(OPEN_TOPICS)]
            channels.append(Channel(kind=Channel.Kind.OPEN, name=f"{topic} {i}", slug=f"open-{i}"))
        for i in range(n_closed):
            name = f"{CLOSED_NAMES[i % len(CLOSED_NAMES)]} {i}"
            channels.append(Channel(kind=Channel.Kind.CLOSED, name=name, slug=f"closed-{i}"))
        channels += [Channel(kind=Channel.Kind.DIRECT) for _ in range(n_direct)]
        channels = Channel.objects.bulk_create(channels, batch_size=2000)
        opens = channels[:n_open]
        closed = channels[n_open : n_open + n_closed]
        directs = channels[n_open + n_closed :]
        pairs: set[tuple[int, int]] = set()
        for user in people:
            for channel in rng.sample(opens, k=min(len(opens), rng.randint(3, 12))):
                pairs.add((channel.pk, user.pk))
            for channel in rng.sample(closed, k=min(len(closed), rng.randint(1, 6))):
                pairs.add((channel.pk, user.pk))
        for channel in closed:  # nobody talks alone
            for user in rng.sample(people, k=3):
                pairs.add((channel.pk, user.pk))
        for channel in directs:
            for user in rng.sample(people, k=2):
                pairs.add((channel.pk, user.pk))
        for channel in opens:
            pairs.add((channel.pk, rng.choice(people).pk))
        Membership.objects.bulk_create(
            (Membership(channel_id=c, user_id=u) for c, u in sorted(pairs)), batch_size=5000
        )
    made = time.perf_counter()
    # Busy channels talk more: channel i of n is drawn with probability falling as a power, the
    # open channels first, then the closed ones, then direct conversations.
    _sql("DROP INDEX IF EXISTS message_search_gin")
    # Seeded before the first random(), so that the same seed makes the same data.
    _sql("SELECT setseed(%s)", [rng.random() * 2 - 1])
    _sql(
        """
        CREATE TEMP TABLE bench_channel AS
        SELECT row_number() OVER (
            ORDER BY CASE c.kind WHEN 'open' THEN 0 WHEN 'closed' THEN 1 ELSE 2 END, random()
        ) - 1 AS idx, c.id, array_agg(m.user_id) AS who
        FROM channels_app_channel c JOIN channels_app_membership m ON m.channel_id = c.id
        GROUP BY c.id, c.kind
        """
    )
    _sql(
        f"""
        WITH picked AS (
            SELECT g, floor(power(random(), 2.2) * (SELECT count(*) FROM bench_channel))::int
                AS idx, random() AS r, random() AS d
            FROM generate_series(1, %(n)s) g
        ), drafted AS (
            SELECT p.g, c.id AS channel_id, c.who[1 + floor(p.r * cardinality(c.who))::int]
                AS author_id,
                (SELECT string_agg({RANDOM_WORD_SQL}, ' ')
                 FROM generate_series(1, 3 + (p.g %% 7) * 3 + (random() * 4)::int) w
                 WHERE w > 0 * p.g) AS body,
                now() - make_interval(secs => (%(n)s - p.g) * 63.0 + p.r * 30) AS created_at,
                p.d < 0.01 AS deleted
            FROM picked p JOIN bench_channel c ON c.idx = p.idx
        )
        INSERT INTO channels_app_message (channel_id, seq, author_id, client_id, body, body_html,
            reply_count, created_at, deleted_at, change_seq)
        SELECT channel_id, row_number() OVER (PARTITION BY channel_id ORDER BY g), author_id,
            gen_random_uuid(), body, '<p>' || body || '</p>', 0, created_at,
            CASE WHEN deleted THEN created_at END, 0
        FROM drafted
        """,  # noqa: S608
        {"n": messages, **_vocabulary()},
    )
    _sql(
        """
        UPDATE channels_app_channel c SET last_seq = s.last, last_message_at = s.at
        FROM (SELECT channel_id, max(seq) AS last, max(created_at) AS at
              FROM channels_app_message GROUP BY channel_id) s
        WHERE s.channel_id = c.id
        """
    )
    inserted = time.perf_counter()
    _sql("CREATE INDEX message_search_gin ON channels_app_message USING gin (search_vector)")
    return {
        "users_s": made - started,
        "insert_s": inserted - made,
        "index_s": time.perf_counter() - inserted,
        "users": users,
        "open": n_open,
        "closed": n_closed,
        "direct": n_direct,
        "memberships": len(pairs),
    }


def _config() -> str:
    from django.conf import settings

    return settings.SEARCH_CONFIG


def generate_articles(articles: int, users: int, seed: int) -> dict[str, Any]:
    """Themes and tags from the migrations, articles with body and attachment text in SQL."""
    from django.db import transaction

    from channels_app.models import Channel, Membership
    from knowledge.models import Tag, Theme

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        people = _make_users(users)
        channels = Channel.objects.bulk_create(
            Channel(kind=Channel.Kind.CLOSED, name=f"team {i}", slug=f"team-{i}") for i in range(40)
        )
        Membership.objects.bulk_create(
            Membership(channel=c, user=u)
            for u in people
            for c in rng.sample(channels, k=rng.randint(0, 3))
        )
        tags = Tag.objects.bulk_create(Tag(name=f"{w} {i}", slug=f"tag-{i}")
                                       for i, w in enumerate(WORDS[40:140]))  # fmt: skip
    made = time.perf_counter()
    _sql("DROP INDEX IF EXISTS article_search_gin")
    _sql("SELECT setseed(%s)", [rng.random() * 2 - 1])

    def text(count: str) -> str:
        return (
            f"(SELECT string_agg({RANDOM_WORD_SQL}, ' ') "  # noqa: S608
            f"FROM generate_series(1, {count}) w WHERE w > 0 * g)"
        )

    _sql(
        f"""
        CREATE TEMP TABLE bench_article AS
        SELECT g, {text("4 + (random() * 6)::int")} AS title,
            {text("20 + (random() * 30)::int")} AS summary,
            {text("150 + (random() * 900)::int")} AS body,
            CASE WHEN random() < 0.3 THEN {text("300 + (random() * 2500)::int")} ELSE '' END
                AS attachment,
            random() AS r
        FROM generate_series(1, %(n)s) g
        """,  # noqa: S608
        {"n": articles, **_vocabulary()},
    )
    _sql(
        """
        INSERT INTO knowledge_article (title, slug, summary, body, domains, status, audience,
            cover, cover_alt, reading_minutes, created_by_id, created_at, updated_at,
            published_at, search_text, search_vector)
        SELECT initcap(title), 'artikel-' || g, summary, body, '[]'::jsonb,
            CASE WHEN r < 0.05 THEN 'draft' ELSE 'published' END,
            CASE WHEN r > 0.9 THEN 'channels' ELSE 'all' END, '', '', 3, %(author)s,
            now() - make_interval(days => (%(n)s - g) / 5), now(),
            now() - make_interval(days => (%(n)s - g) / 5),
            summary || E'\n' || body || E'\n' || attachment,
            setweight(to_tsvector(%(config)s::regconfig, title), 'A')
            || setweight(to_tsvector(%(config)s::regconfig, summary), 'B')
            || setweight(to_tsvector(%(config)s::regconfig, body), 'C')
            || setweight(to_tsvector(%(config)s::regconfig, attachment), 'D')
        FROM bench_article
        """,
        {"n": articles, "author": people[0].pk, "config": _config()},
    )
    _sql(
        """
        INSERT INTO knowledge_articleattachment (file, name, content_type, size, uploader_id,
            created_at, article_id, text)
        SELECT 'bench/' || a.slug || '.pdf', a.slug || '.pdf', 'application/pdf',
            length(b.attachment) * 3, %(author)s, now(), a.id, b.attachment
        FROM knowledge_article a JOIN bench_article b ON a.slug = 'artikel-' || b.g
        WHERE b.attachment <> ''
        """,
        {"author": people[0].pk},
    )
    themes = list(Theme.objects.values_list("pk", flat=True))
    _sql(
        """
        INSERT INTO knowledge_article_themes (article_id, theme_id)
        SELECT a.id, (%(themes)s::bigint[])[1 + a.id %% cardinality(%(themes)s::bigint[])]
        FROM knowledge_article a
        """,
        {"themes": themes},
    )
    _sql(
        """
        INSERT INTO knowledge_article_tags (article_id, tag_id)
        SELECT DISTINCT a.id, (%(tags)s::bigint[])[1 + floor(random() * %(ntags)s)::int]
        FROM knowledge_article a, generate_series(1, 2) k WHERE k > 0 * a.id
        """,
        {"tags": [t.pk for t in tags], "ntags": len(tags)},
    )
    _sql(
        """
        INSERT INTO knowledge_article_channels (article_id, channel_id)
        SELECT a.id, (%(channels)s::bigint[])[1 + a.id %% 40]
        FROM knowledge_article a WHERE a.audience = 'channels'
        """,
        {"channels": [c.pk for c in channels]},
    )
    _sql(
        """
        INSERT INTO knowledge_article_authors (article_id, user_id)
        SELECT a.id, %(author)s FROM knowledge_article a
        """,
        {"author": people[0].pk},
    )
    inserted = time.perf_counter()
    _sql("CREATE INDEX article_search_gin ON knowledge_article USING gin (search_vector)")
    return {
        "users_s": made - started,
        "insert_s": inserted - made,
        "index_s": time.perf_counter() - inserted,
        "users": users,
        "attachments": table_count_sql("knowledge_articleattachment"),
    }


def table_count_sql(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return int(cursor.fetchone()[0])


# --- set-up -------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> dict[str, Any] | None:
    """A database with the requested data; the generation figures, or None if it was kept."""
    table = "channels_app_message" if args.kind == "messages" else "knowledge_article"
    keep = args.keep and table_count(args.database_url, table) == args.size
    if not keep:
        recreate_database(args.database_url)
    configure_django(args.database_url)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if keep:
        return None
    if args.kind == "messages":
        made = generate_messages(args.size, args.users, SEED)
    else:
        made = generate_articles(args.size, args.users, SEED)
    made["analyze_s"] = settle_database()
    return made


def _typical_user() -> Any:
    """The professional with the median number of channel memberships."""
    from django.db import connection

    from accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id FROM channels_app_membership GROUP BY user_id "
            "ORDER BY count(*), user_id"
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    return User.objects.get(pk=ids[len(ids) // 2])


# --- cases --------------------------------------------------------------------------------------


def message_cases(user: Any) -> list[Case]:
    from django.db.models import Count
    from django.utils import timezone

    from channels_app.models import Channel, Message

    closed = (
        Channel.objects.filter(kind=Channel.Kind.CLOSED, memberships__user=user)
        .annotate(n=Count("messages"))
        .order_by("-n")
        .first()
    )
    opened = Channel.objects.filter(kind=Channel.Kind.OPEN).order_by("-last_seq").first()
    author = (
        Message.objects.filter(channel=opened).values("author__display_name")
        .annotate(n=Count("pk")).order_by("-n").first()
    )  # fmt: skip
    recent = (timezone.localdate() - timezone.timedelta(days=30)).isoformat()
    spring = (timezone.localdate() - timezone.timedelta(days=300)).isoformat()
    cases = [
        Case("frequent word", {"q": "afspraak"}),
        Case("two words", {"q": "huisarts morgen"}),
        Case("prefix", {"q": "schuld"}),
        Case("rare word", {"q": compounds(random.Random(SEED))[-40]}),
        Case("unknown word", {"q": "zeppelin"}),
        Case("frequent word, page 4", {"q": "afspraak", "page": "4"}),
        Case("less frequent compound", {"q": compounds(random.Random(SEED))[60]}),
        Case("last 30 days", {"q": "overleg", "date_from": recent}),
        Case("date range", {"q": "wijkteam", "date_from": spring, "date_to": recent}),
    ]
    if author:
        name = author["author__display_name"]
        cases.append(Case("by author name", {"q": "bellen", "author": name}))
    if closed:
        cases.append(Case("closed channel", {"q": "cliënt", "channel": str(closed.pk)}))
    if opened:
        cases.append(Case("open channel", {"q": "zorg", "channel": str(opened.pk)}))
    return cases


def article_cases() -> list[Case]:
    from knowledge.models import Tag, Theme

    theme = Theme.objects.order_by("position", "pk").first()
    tag = Tag.objects.order_by("pk").first()
    cases = [
        Case("no text (newest)", {}),
        Case("frequent word", {"q": "zorg"}),
        Case("two words", {"q": "mantelzorg dementieteam"}),
        Case("prefix", {"q": "schuld"}),
        Case("rare word", {"q": compounds(random.Random(SEED))[-40]}),
        Case("unknown word", {"q": "zeppelin"}),
        Case("frequent word, page 5", {"q": "bewoner", "page": "5"}),
    ]
    if theme:
        cases.append(Case("theme and word", {"q": "wijkteam", "theme": theme.slug}))
    if tag:
        cases.append(Case("tag", {"tag": tag.slug}))
    return cases


# --- measuring ----------------------------------------------------------------------------------


def run_messages_server(user: Any, params: dict[str, str]) -> tuple[int, int, bool]:
    """What the message search view evaluates: (hits known, rows on the page, more follow)."""
    from channels_app.search import MessageSearchForm, search_page

    form = MessageSearchForm(params, user=user)
    if not form.is_valid():
        raise SystemExit(f"invalid search {params}: {form.errors.as_json()}")
    page = search_page(user, form.cleaned_data, params.get("page"))
    rows = list(page.object_list)
    return page.paginator.count, len(rows), page.paginator.capped


def run_articles_server(user: Any, params: dict[str, str]) -> tuple[int, int, bool]:
    """What the knowledge index view evaluates for its list: as ``run_messages_server``."""
    from core.pagination import LookaheadPaginator
    from knowledge.forms import ArticleSearchForm
    from knowledge.search import add_snippets, listed, name_page, search_articles
    from knowledge.views import PAGE

    form = ArticleSearchForm(params)
    if params and not form.is_valid():
        raise SystemExit(f"invalid search {params}: {form.errors.as_json()}")
    data = form.cleaned_data if params else {}
    articles = listed(search_articles(user, data))
    page = LookaheadPaginator(articles, PAGE).get_page(params.get("page"))
    name_page(page)
    add_snippets(page, data)
    rows = list(page.object_list)
    return page.paginator.count, len(rows), page.paginator.capped


def explain_ms(run: Callable[[], Any]) -> float:
    """Sum of PostgreSQL's own execution times (EXPLAIN ANALYZE) of the queries ``run`` makes:
    less sensitive to the load of the machine than wall-clock time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    total = 0.0
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else plan
            total += float(plan.get("Execution Time", 0.0)) + float(plan.get("Planning Time", 0))
    return total


def measure(args: argparse.Namespace) -> tuple[list[Measurement], Any]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from config.startup import freeze_loaded_objects

    if args.kind == "messages":
        user = _typical_user()
        cases = message_cases(user)
        server = run_messages_server
        url = reverse("channels_app:search")
    else:
        user = User.objects.order_by("pk").last()
        cases = article_cases()
        server = run_articles_server
        url = reverse("knowledge:index")
    client = Client()
    client.force_login(user)
    results = []
    for case in cases:
        m = Measurement(case)
        fresh = User.objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as captured:
            m.total, m.shown, m.capped = server(fresh, case.params)
        m.queries = len(captured.captured_queries)
        m.explain_ms = explain_ms(lambda c=case: server(User.objects.get(pk=user.pk), c.params))
        results.append(m)
    freeze_loaded_objects()  # as a daphne process does once it has started (config.asgi)
    for _round in range(args.rounds):
        for m in results:
            fresh = User.objects.get(pk=user.pk)  # nothing cached on the user between runs
            started = time.perf_counter()
            server(fresh, m.case.params)
            m.server_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            response = client.get(url, m.case.params)
            m.http_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} {m.case.params}: HTTP {response.status_code}")
            reset_queries()
    return results, user


# --- report -------------------------------------------------------------------------------------


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def report(args: argparse.Namespace, made: dict[str, Any] | None, results: list[Measurement],
           user: Any, load_before: str, seconds: float) -> str:  # fmt: skip
    from django.db import connection

    from channels_app.models import Channel, Membership, Message

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    every_server = [t for m in results for t in m.server_ms]
    every_http = [t for m in results for t in m.http_ms]
    p95_server = percentile(every_server, 0.95)
    p95_http = percentile(every_http, 0.95)
    command = "nice -n 10 .venv/bin/python -m bench.search_scale " + " ".join(
        shlex.quote(a) for a in sys.argv[1:] if a not in {"--write-docs"}
    )
    lines: list[str] = []
    if args.kind == "messages":
        readable = Channel.objects.filter(memberships__user=user).count()
        lines += [
            "What a professional waits for when searching the messages they may read (their "
            "channels and direct conversations, and every open channel): Dutch full text with "
            "prefix matching, optional channel, author and date filters, newest first, 25 a page.",
            "",
            f"Data: {table_count_sql('channels_app_message'):,} messages in "
            f"{Channel.objects.count():,} channels "
            f"({Channel.objects.filter(kind='open').count():,} open, "
            f"{Channel.objects.filter(kind='closed').count():,} closed, "
            f"{Channel.objects.filter(kind='direct').count():,} direct), "
            f"{Membership.objects.count():,} memberships of "
            f"{Membership.objects.values('user').distinct().count():,} professionals; texts of "
            f"3 to 25 words drawn with a skew from {len(WORDS)} Dutch words and "
            f"{len(compounds(random.Random(0))):,} compounds; 1% deleted. The "
            f"searching professional is a member of {readable} channels (the median), and reads "
            f"{Message.objects.filter(channel__in=_readable_ids(user)).count():,} messages.",
        ]
    else:
        from knowledge.models import Article

        lines += [
            "What a professional waits for on the knowledge page: Dutch full text over title, "
            "summary, body and attachment text (weighted), theme and tag filters, best match "
            "first, 20 a page with snippets; restricted articles only for members of their "
            "channels.",
            "",
            f"Data: {Article.objects.count():,} articles "
            f"({Article.objects.filter(status='published').count():,} published, "
            f"{Article.objects.filter(audience='channels').count():,} for channels only), "
            f"{table_count_sql('knowledge_articleattachment'):,} attachments with text; bodies "
            f"of 150 to 1,050 words, attachments of 300 to 2,800 words, from {len(WORDS)} Dutch "
            "words drawn with a skew.",
        ]
    lines += [
        "",
        "```",
        command,
        "```",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, {platform.system()} {platform.release()}, PostgreSQL "
        f"{server_version}, reference loop {cpu_reference_ms():.0f} ms, see Machine); "
        f"load average (1/5/15 min) {load_before} before and {_load()} after; "
        f"{args.rounds} rounds of every case, run time {seconds:.0f} s.",
    ]
    if made:
        lines.append(
            f"Generating the data took {made['users_s']:.1f} s for people and channels, "
            f"{made['insert_s']:.1f} s for the rows (SQL), {made['index_s']:.1f} s for the GIN "
            f"index and {made['analyze_s']:.1f} s for VACUUM ANALYZE and CHECKPOINT (the "
            "new data written out before anything is timed)."
        )
    lines += [
        "",
        f"**Overall: server p95 {p95_server:.1f} ms (target {TARGET_P95_MS:.0f} ms: "
        f"{'met' if p95_server < TARGET_P95_MS else 'NOT met'}), through HTTP p95 "
        f"{p95_http:.1f} ms.**",
        "",
    ]
    rows = []
    for m in results:
        shown = ", ".join(f"{k}={v}" for k, v in m.case.params.items() if k not in {"page"})
        rows.append(
            [
                m.case.label + (f" ({shown})" if shown else ""),
                f"more than {m.total:,}" if m.capped else f"{m.total:,}",
                m.queries,
                f"{percentile(m.server_ms, 0.5):.1f}",
                f"{percentile(m.server_ms, 0.95):.1f}",
                f"{m.explain_ms:.1f}",
                f"{percentile(m.http_ms, 0.5):.1f}",
                f"{percentile(m.http_ms, 0.95):.1f}",
            ]
        )
    rows.append(
        [
            "**all**",
            "",
            "",
            f"{percentile(every_server, 0.5):.1f}",
            f"{p95_server:.1f}",
            "",
            f"{percentile(every_http, 0.5):.1f}",
            f"{p95_http:.1f}",
        ]
    )
    lines.append(
        markdown_table(
            [
                "search",
                "hits",
                "queries",
                "server p50 ms",
                "server p95 ms",
                "SQL (EXPLAIN ANALYZE) ms",
                "HTTP p50 ms",
                "HTTP p95 ms",
            ],
            rows,
        )
    )
    lines += ["", _explanation(args.kind)]
    return "\n".join(lines) + "\n"


def _readable_ids(user: Any) -> list[int]:
    from channels_app.search import readable_channel_ids

    return readable_channel_ids(user)


def _explanation(kind: str) -> str:
    if kind == "messages":
        return (
            '"hits" is what the page knows: it reads one row more than it shows and counts no '
            'further (`core.pagination.LookaheadPaginator`), so the table says "more than 25" '
            "when a next page exists; page 4 reads 101 rows. The server column "
            "times the form, `channels_app.search.search_page` and the rows the page shows; HTTP "
            "adds the session, middleware and the template (Django's test client, in process). "
            "The SQL column is PostgreSQL's own planning plus execution time of the same queries "
            "(EXPLAIN ANALYZE), less sensitive to the machine's load."
        )
    return (
        '"hits" is what the page knows (it reads one more than it shows, see the message '
        "search). The server column times the form, `knowledge.search.search_articles`, "
        "`add_snippets` and the page of articles with their themes and authors as the view "
        "evaluates them; HTTP adds the session, middleware and the whole knowledge page (Django's "
        "test "
        "client, in process). The SQL column is PostgreSQL's own planning plus execution time of "
        "the same queries (EXPLAIN ANALYZE), less sensitive to the machine's load."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["messages", "articles"])
    parser.add_argument("--quick", action="store_true", help="small data set, few rounds")
    parser.add_argument("--size", type=int, help="messages or articles to generate")
    parser.add_argument("--users", type=int, help="professionals to generate")
    parser.add_argument("--rounds", type=int, help="timed runs of every case")
    parser.add_argument("--keep", action="store_true", help="reuse a database of the same size")
    parser.add_argument("--write-docs", action="store_true", help="update docs/BENCHMARKS.md")
    parser.add_argument("--database-url", help="a PostgreSQL URL whose name contains 'bench'")
    args = parser.parse_args(argv)
    full = {"messages": (1_000_000, 3_000), "articles": (10_000, 2_000)}[args.kind]
    quick = {"messages": (50_000, 300), "articles": (1_000, 200)}[args.kind]
    size, users = quick if args.quick else full
    args.size = args.size or size
    args.users = args.users or users
    args.rounds = args.rounds or (5 if args.quick else 30)
    args.database_url = args.database_url or DEFAULT_URLS[args.kind] + ("_quick" * args.quick)
    load_before = _load()
    started = time.perf_counter()
    made = prepare(args)
    results, user = measure(args)
    text = report(args, made, results, user, load_before, time.perf_counter() - started)
    print(text)
    if args.write_docs:
        write_section(SECTIONS[args.kind], text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
