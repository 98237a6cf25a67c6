"""The Dutch interface keeps to docs/GLOSSARY.md: its words, and "je" as form of address.

The words a row rules out are read from the glossary's table, so the document and the test
cannot drift apart. Checked: every entry of the platform's Dutch catalogue, the Dutch that
users see of allauth's and Django's strings (through the catalogues as Django resolves them,
so an entry the platform words its own way counts as the platform's), and the text of every
template and e-mail template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import allauth
import django
import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
GLOSSARY = ROOT / "docs" / "GLOSSARY.md"
CATALOGUE = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
TEMPLATES = ROOT / "templates"
ALLAUTH = Path(allauth.__file__).parent
DJANGO_AUTH = Path(django.__file__).parent / "contrib" / "auth"
# The parts of allauth and Django whose text people see on the platform's pages.
SHOWN = {
    ALLAUTH: ("account/", "mfa/", "templates/account/", "templates/mfa/"),
    DJANGO_AUTH: ("",),  # Django's catalogues do not say where a string is used
}


@dataclass(frozen=True)
class Rule:
    word: str
    only_where: str  # English words that must occur for the rule to apply; "" for always

    def broken_by(self, english: str, dutch: str) -> bool:
        if self.only_where and self.only_where.lower() not in english.lower():
            return False
        # a word and its inflections ("casusoverleggen"); a short word only on its own ("u")
        end = r"(?![\w-])" if len(self.word) <= 2 else ""
        return re.search(rf"(?<![\w-]){re.escape(self.word)}{end}", dutch, re.I) is not None


def glossary_rules() -> list[Rule]:
    rules = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("Nederlands", "---"):
            continue
        for item in filter(None, (part.strip() for part in cells[3].split(","))):
            found = re.fullmatch(r'(.+?)(?:\s*\(bij "([^"]+)"\))?', item)
            assert found, f"a glossary entry the test cannot read: {item!r}"
            rules.append(Rule(found[1], found[2] or ""))
    return rules


RULES = glossary_rules()
# Formal address: "u" and "uw" as words (not the "u" of a unit in "24 u" or of a code).
FORMAL = re.compile(r"(?<![\w%(-])(u|uw|uzelf)(?![\w-])", re.I)


def our_catalogue() -> list[tuple[str, str]]:
    pairs = []
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete:
            continue
        english = f"{entry.msgctxt or ''} {entry.msgid} {entry.msgid_plural}"
        for dutch in [entry.msgstr, *entry.msgstr_plural.values()]:
            pairs.append((english, dutch))
    return pairs


def shown_third_party() -> list[tuple[str, str]]:
    """Each shown third-party string with the Dutch that Django gives for it."""
    pairs = []
    with translation.override("nl"):
        for package, parts in SHOWN.items():
            po = polib.pofile(str(package / "locale" / "nl" / "LC_MESSAGES" / "django.po"))
            for entry in po:
                places = [path for path, _line in entry.occurrences] or [""]
                if entry.obsolete or not any(path.startswith(parts) for path in places):
                    continue
                english = f"{entry.msgctxt or ''} {entry.msgid} {entry.msgid_plural}"
                if entry.msgid_plural:
                    dutch = [
                        translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)
                    ]
                elif entry.msgctxt:
                    dutch = [translation.pgettext(entry.msgctxt, entry.msgid)]
                else:
                    dutch = [translation.gettext(entry.msgid)]
                pairs.extend((english, text) for text in dutch)
    return pairs


def template_texts() -> list[tuple[str, str]]:
    """The words of each template outside its tags, variables, comments and markup."""
    texts = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in (".html", ".txt", ".ics") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}|<[^>]*>", " ", text, flags=re.S)
        texts.append((str(path.relative_to(ROOT)), text))
    return texts


def test_the_glossary_rules_out_words():
    # The parser read the table: an empty or misread table would pass every other test.
    words = {rule.word for rule in RULES}
    assert {"regievoerder", "casusoverleg", "twee-factor-authenticatie", "u"} <= words
    assert Rule("aanmelden", "sign in") in RULES


@pytest.mark.parametrize(
    "english, dutch, broken",
    [
        ("Sign In", "Aanmelden", True),
        ("Register", "Aanmelden", False),
        ("Sign in", "Inloggen", False),
        ("Coordinator", "Regievoerder", True),
        ("case room closed", "besloten", True),
        ("closed channel", "besloten kanaal", False),
        ("You joined", "U bent lid", True),
        ("Two-Factor Authentication", "Twee-factor-authenticatie", True),
        ("Case rooms opened", "Casusoverleggen geopend", True),
        ("Reactions", "Reacties", True),
        ("Your data", "Uitgebreide gegevens", False),
    ],
)
def test_a_rule_catches_what_it_rules_out(english, dutch, broken):
    assert any(rule.broken_by(english, dutch) for rule in RULES) is broken


def _breaches(pairs: list[tuple[str, str]]) -> list[str]:
    return [
        f"{english.strip()!r} → {dutch!r}: {rule.word!r}"
        for english, dutch in pairs
        for rule in RULES
        if rule.broken_by(english, dutch)
    ]


def test_the_dutch_catalogue_follows_the_glossary():
    assert not _breaches(our_catalogue())


def test_shown_allauth_and_django_strings_follow_the_glossary():
    pairs = shown_third_party()
    assert len(pairs) > 100  # the catalogues were found and read
    assert not _breaches(pairs)


def test_templates_use_no_word_the_glossary_rules_out():
    always = [rule for rule in RULES if not rule.only_where]
    found = [
        f"{path}: {rule.word!r}"
        for path, text in template_texts()
        for rule in always
        if rule.broken_by("", text)
    ]
    assert not found


@pytest.mark.parametrize("source", ["catalogue", "third_party", "templates"])
def test_the_interface_says_je_not_u(source):
    pairs = {
        "catalogue": our_catalogue,
        "third_party": shown_third_party,
        "templates": template_texts,
    }[source]()
    assert pairs
    formal = [
        f"{english.strip()[:60]!r} → {dutch!r}" for english, dutch in pairs if FORMAL.search(dutch)
    ]
    assert not formal
