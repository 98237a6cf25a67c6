from __future__ import annotations

import shutil
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
LOCALES = [code for code, _name in settings.LANGUAGES]


def catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("code", LOCALES)
def test_catalogues_are_complete(code):
    po = catalogue(code)
    assert len(po) > 50
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


@pytest.mark.parametrize("code", LOCALES)
def test_compiled_catalogues_match_their_sources(code):
    po = catalogue(code)
    mo = polib.mofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"{code}: {entry.msgid!r} is not compiled; run make messages"
        msgstr, plural = compiled[key]
        if entry.msgid_plural:
            assert {int(k): v for k, v in plural.items()} == {
                int(k): v for k, v in entry.msgstr_plural.items()
            }
        else:
            assert msgstr == entry.msgstr, entry.msgid


def test_every_string_in_the_code_is_in_the_dutch_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        if settings.REQUIRE_SERVICES:  # any service required: CI, where gettext is installed
            pytest.fail("gettext is not installed")
        pytest.skip("needs gettext's xgettext (apt-get install gettext)")
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".venv", "node_modules", "vendor", "staticfiles", ".git", ".data", "media", "tests"
    )
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "nl",
            "--no-obsolete",
            "--ignore",
            "scripts/*",
            "--ignore",
            "bench/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = polib.pofile(str(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in fresh.untranslated_entries() + fresh.fuzzy_entries()]
    assert missing == [], "untranslated strings; run make messages and translate them"


@pytest.mark.django_db
def test_dutch_is_the_default_and_english_is_a_switch(client):
    page = client.get(reverse("account_login"))
    assert '<html lang="nl"' in page.content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(reverse("account_login"))
    html = page.content.decode()
    assert '<html lang="en"' in html
    assert "Sign In" in html


def test_the_english_catalogue_is_the_source_text():
    for entry in catalogue("en"):
        if entry.msgid_plural:
            assert entry.msgstr_plural == {0: entry.msgid, 1: entry.msgid_plural}, entry.msgid
        else:
            assert entry.msgstr == entry.msgid, entry.msgid
