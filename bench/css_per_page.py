"""The CSS each kind of page loads: the stylesheets it links, in bytes, raw and gzipped.

Loads the demo data (``seed_demo``) into a throw-away test database on the configured server
(the embedded one unless ``DATABASE_URL`` is set), fetches one page of each kind with Django's
test client as a demo professional, reads the ``<link rel="stylesheet">`` elements of the
answer and adds up the files they name, as ``collectstatic`` would serve them. No server and no
browser are needed, so the figures do not depend on the machine.

It also names, for each page, a page stylesheet (chat.css, knowledge.css, case.css) whose
classes the page uses without loading it, or that it loads without using any of its classes:
the page stylesheets belong on exactly the pages that need them.

    .venv/bin/python -m bench.css_per_page [--write-docs]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

from bench._common import BASE_DIR, markdown_table, write_section

if TYPE_CHECKING:
    from django.test import Client

SECTION = "css_per_page"
#: the stylesheets only some pages load, and what they style
PAGE_STYLESHEETS = ("css/chat.css", "css/knowledge.css", "css/case.css")


class _Stylesheets(HTMLParser):
    """The stylesheets a page links and the classes its elements carry."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.classes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and (attributes.get("rel") or "").lower() == "stylesheet":
            self.hrefs.append(attributes.get("href") or "")
        self.classes.update((attributes.get("class") or "").split())


@dataclass
class Measured:
    page: str
    files: list[str]
    raw: int
    gzipped: int
    notes: list[str]


def _static_file(href: str) -> Path:
    from django.conf import settings
    from django.contrib.staticfiles import finders

    relative = href.removeprefix(settings.STATIC_URL).split("?")[0]
    found = finders.find(relative)
    if not found:
        raise SystemExit(f"{href}: no such static file")
    return Path(found)


def _classes_of(path: Path) -> set[str]:
    """The classes a stylesheet has selectors for."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", text))


def _notes(linked: list[str], classes: set[str]) -> list[str]:
    """Page stylesheets whose classes a page uses but that it does not load, or that it loads
    but uses none of the classes of (classes only they have a selector for)."""
    loaded = {href.split("?")[0].removeprefix("/static/") for href in linked}
    defined = {name: _classes_of(_static_file(f"/static/{name}")) for name in loaded}
    notes = []
    for name in PAGE_STYLESHEETS:
        others = set().union(*(found for other, found in defined.items() if other != name))
        own = (_classes_of(_static_file(f"/static/{name}")) - others) & classes
        if own and name not in loaded:
            notes.append(f"uses {name} ({', '.join(sorted(own)[:4])}) without loading it")
        if not own and name in loaded:
            notes.append(f"loads {name} without using it")
    return notes


def _pages() -> list[tuple[str, str, object, bool]]:
    """(kind of page, URL, who opens it, whether their sign-in counts for case rooms)."""
    from django.urls import reverse

    from accounts.models import User
    from channels_app.models import Channel
    from demo.directory import demo_email
    from directory.models import Organisation, Professional
    from knowledge.models import Article, LearningSession
    from privacy.models import CaseRoom

    member = User.objects.get(email=demo_email("anouk.aerts"))
    colleague = Professional.objects.get(user__email=demo_email("mirjam.eurlings"))
    channel = Channel.objects.get(name="Samen Heerlen Gezond")
    organisation = Organisation.objects.order_by("name").first()
    article = Article.objects.filter(published_at__isnull=False).order_by("pk").first()
    session = LearningSession.objects.order_by("starts_at").first()
    room = CaseRoom.objects.filter(coordinator=member).order_by("pk").first()
    assert organisation and article and session and room, "the demo data is incomplete"
    profile = reverse("directory:professional", args=[colleague.pk])
    return [
        ("Log in (signed out)", reverse("account_login"), None, False),
        ("Home", reverse("home"), member, False),
        ("Wie is wie: search, page 2", reverse("directory:index") + "?page=2", member, False),
        ("Professional's profile", profile, member, False),
        (
            "Organisation",
            reverse("directory:organisation", args=[organisation.slug]),
            member,
            False,
        ),
        ("My profile (form)", reverse("directory:profile_edit"), member, False),
        ("Channels overview", reverse("channels_app:index"), member, False),
        ("Channel (chat)", reverse("channels_app:channel", args=[channel.pk]), member, False),
        ("Notifications", reverse("channels_app:notifications"), member, False),
        ("Knowledge base", reverse("knowledge:index"), member, False),
        ("Article", reverse("knowledge:article", args=[article.pk]), member, False),
        ("Learning session", reverse("knowledge:session", args=[session.pk]), member, False),
        ("Case rooms", reverse("privacy:index"), member, True),
        ("Case room", reverse("privacy:room", args=[room.pk]), member, True),
    ]


def _client(user: object, strong: bool) -> Client:
    from django.test import Client

    client = Client()
    if user is None:
        return client
    client.force_login(user)  # type: ignore[arg-type]
    if strong:
        # what allauth keeps after a sign-in with a second factor; case rooms ask for it
        session = client.session
        session["account_authentication_methods_user"] = str(user.pk)  # type: ignore[attr-defined]
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "email": user.email},  # type: ignore[attr-defined]
            {"method": "mfa", "at": time.time(), "type": "totp"},
        ]
        session.save()
    return client


def measure() -> list[Measured]:
    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    results = []
    for label, url, user, strong in _pages():
        response = _client(user, strong).get(url)
        if response.status_code != 200:
            raise SystemExit(f"{label}: {url} answered {response.status_code}")
        parser = _Stylesheets()
        parser.feed(response.content.decode())
        contents = [_static_file(href).read_bytes() for href in parser.hrefs]
        results.append(
            Measured(
                page=label,
                files=[Path(href.split("?")[0]).name for href in parser.hrefs],
                raw=sum(len(content) for content in contents),
                # each file on its own, as the server compresses them
                gzipped=sum(len(gzip.compress(content, 9, mtime=0)) for content in contents),
                notes=_notes(parser.hrefs, parser.classes),
            )
        )
    return results


def report(results: list[Measured]) -> str:
    rows = [
        (m.page, f"{m.raw / 1000:.1f}", f"{m.gzipped / 1000:.1f}", " + ".join(m.files))
        for m in results
    ]
    table = markdown_table(["Page", "CSS kB", "gzip kB", "Stylesheets"], rows)
    notes = [f"- {m.page}: {note}" for m in results for note in m.notes]
    command = "`.venv/bin/python -m bench.css_per_page`"
    day = datetime.now(UTC).date().isoformat()
    text = (
        f"{table}\n\nMeasured with {command} on {day} (kB = 1000 bytes; gzip level 9, file by "
        "file; the sizes do not depend on the machine)."
    )
    if notes:
        text += "\n\n" + "\n".join(notes)
    else:
        text += (
            "\n\nNo page uses the classes of a page stylesheet without loading it, or loads one "
            "without using its classes."
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--write-docs", action="store_true", help="update the section in docs/BENCHMARKS.md"
    )
    arguments = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # seed_demo refuses to run with DEBUG off: the demo accounts' password is published
    os.environ["DEBUG"] = "true"
    os.environ.pop("REDIS_URL", None)
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        text = report(measure())
    finally:
        teardown_databases(databases, verbosity=0)
    print(text)
    if arguments.write_docs:
        write_section(SECTION, text)
        print(f"\nUpdated the {SECTION} section of docs/BENCHMARKS.md.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
