"""Keep identifying data out of case rooms, as far as a machine reasonably can.

These checks catch the obvious mistakes (a citizen service number, an e-mail address, a full
postcode, a date of birth, a street address, a title or "Gezin" with a surname, a name with an
age, a first name followed by a surname); they cannot prove that a text identifies nobody. The
form text asks for a pseudonym, and people remain responsible. Each refusal quotes what it found.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# eight or more digits, possibly written in groups ("123 456 789", "1234.56.789")
_LONG_NUMBER = re.compile(r"\d(?:[\s.\-]?\d){7,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_POSTCODE = re.compile(r"\b\d{4}\s?[A-Za-z]{2}\b")
_DATE = re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})\b")
_PARTICLES = r"(?:(?:van|de|der|den|ter|ten|te|het|in|op|la|le|du|da|'t)\s+)*"
_CAPITALISED = r"[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ýa-zà-ÿ]+)?"
_NAME_PAIR = re.compile(rf"\b({_CAPITALISED})\s+{_PARTICLES}({_CAPITALISED})\b")

# "Kerkstraat 12", "Akerstraat 5a", "Op de Kamp 3": a street, a house number, maybe an addition.
_STREET_SUFFIXES = (
    "straat|weg|laan|plein|singel|gracht|kade|dijk|pad|steeg|hof|park|dreef|ring|markt|"
    "plantsoen|baan|wal|veld|kamp|berg|erf|allee|boulevard|hoek|oord|dal"
)
_ADDRESS = re.compile(
    r"(?<![\w(])"
    r"((?:(?i:op|aan|in|bij|achter|onder|over|langs|voor|naast|de|het|den|der|'t)\s+)*"
    rf"(?:[A-ZÀ-Ý][a-zà-ÿ'’-]+|[a-zà-ÿ'’-]*(?i:{_STREET_SUFFIXES}))"
    r"\s+(\d{1,4})(?:\s?[a-zA-Z]{1,2}\b|[-/]\d{1,3}\b|\b))"
    r"(?!\s*(?i:jaar|jr\b))"
)
# "Mevr. Jansen", "dhr. de Vries", "Mw Bakker", "Gezin Jansen": a title, then a surname (not an
# initial such as "Mevrouw B." or "Fam. R.").
_TITLES = (
    "mevrouw|mevr|mvr|mw|meneer|mnr|dhr|de heer|heer|hr|mr|mrs|ms|miss|dr|drs|ir|ing|prof|"
    "zuster|zr|fam|familie|gezin|echtpaar|family"
)
_TITLE_SURNAME = re.compile(
    rf"(?<!\w)((?i:{_TITLES})\.?\s+(?:[A-ZÀ-Ý][a-zà-ÿ]?\.\s*)*"  # initials may come first
    r"(?:(?i:van|de|der|den|ter|ten|te|het|in|op|la|le|du|da|'t)\s+)*"
    rf"({_CAPITALISED}))"
    r"(?!\w)(?!\.\s*[A-ZÀ-Ý,])"  # "Mevrouw Th. J." and "Mevrouw Th., ...": initials, not names
)
# "Piet (82)", "Anna, 34 jaar": a name with an age ("Jongere T. (16)" has an initial, and passes).
_NAME_AGE = re.compile(
    rf"\b({_CAPITALISED})"
    r"(\s*,?\s*(?:\(\s*\d{1,3}\s*(?i:jaar|jr\.?)?\s*\)|\d{1,3}\s*(?i:jaar|jr\b\.?)))"
)
_NOT_STREETS = {"week", "fase", "groep", "deel", "nummer", "klas", "stap", "team", "jaar"}

# Words that may start a pseudonym or describe a place without being a first name.
_DESCRIPTIVE = {
    "gezin", "familie", "huishouden", "mevrouw", "meneer", "heer", "mw", "dhr", "bewoner",
    "inwoner", "kind", "jongen", "meisje", "jongere", "oudere", "moeder", "vader", "ouder",
    "ouders", "broer", "zus", "echtpaar", "stel", "casus", "situatie", "wijk", "buurt",
    "family", "household", "resident", "mrs", "mr", "ms", "child", "case",
}  # fmt: skip
_PLACE_WORDS = {"noord", "zuid", "oost", "west", "centrum", "midden", "north", "south", "east"}


def _identifier_message(text: str) -> str | None:
    if _LONG_NUMBER.search(text):
        return _(
            "Remove the long number: a citizen service number (BSN) or other personal number "
            "may not be stored here."
        )
    if _EMAIL.search(text):
        return _("Remove the e-mail address: it identifies a person.")
    return None


def validate_no_identifier(value: str) -> None:
    """No BSN-like number or e-mail address in free text about a resident."""
    message = _identifier_message(value or "")
    if message:
        raise ValidationError(message, code="identifier")


def _neighbourhood_names() -> set[str]:
    from directory.models import Neighbourhood

    try:
        return {name.lower() for name in Neighbourhood.objects.values_list("name", flat=True)}
    except Exception:  # no table yet (migrations): fall back to the fixed checks only
        return set()


class _Places:
    """The neighbourhoods' names, looked up once and only when a check needs them."""

    def __init__(self) -> None:
        self._names: set[str] | None = None

    def __contains__(self, words: str) -> bool:
        if self._names is None:
            self._names = _neighbourhood_names()
        return words.lower() in self._names


def _address(text: str, places: _Places) -> str | None:
    for match in _ADDRESS.finditer(text):
        words, number = match.group(1), match.group(2)
        street = words[: words.rindex(number)].split()[-1]
        if street.lower() in _DESCRIPTIVE | _NOT_STREETS:
            continue
        if len(number) == 4 and number[:2] in ("19", "20"):
            continue  # a year ("Gezin K., Hoensbroek 2024"), not a house number
        if street in places:
            continue
        return words.strip()
    return None


def _title_with_surname(text: str, places: _Places) -> str | None:
    for match in _TITLE_SURNAME.finditer(text):
        surname = match.group(2)
        if surname.lower() in _PLACE_WORDS or surname in places:
            continue  # "Gezin Hoensbroek": a place, not a surname
        return match.group(1)
    return None


def _name_with_age(text: str, places: _Places) -> str | None:
    for match in _NAME_AGE.finditer(text):
        name = match.group(1)
        if name.lower() in _DESCRIPTIVE | _PLACE_WORDS or name in places:
            continue
        return match.group(0).strip()
    return None


def _full_name(text: str, places: _Places) -> str | None:
    for match in _NAME_PAIR.finditer(text):
        first, last = match.group(1), match.group(2)
        if first.lower() in _DESCRIPTIVE or last.lower() in _PLACE_WORDS:
            continue
        if match.group(0) in places or f"{first} {last}" in places:
            continue
        return match.group(0)
    return None


def validate_pseudonym(value: str) -> None:
    """A pseudonym such as “Gezin K., Hoensbroek”: initials, not names, addresses or numbers."""
    text = (value or "").strip()
    message = _identifier_message(text)
    if message is None and _POSTCODE.search(text):
        message = _("Remove the postcode: use the neighbourhood's name instead.")
    if message is None and _DATE.search(text):
        message = _("Remove the date: a date of birth identifies a person.")
    places = _Places()
    if message is None and (words := _address(text, places)):
        message = _(
            "“%(words)s” looks like an address. Use the neighbourhood's name instead, for "
            "example “Gezin K., Hoensbroek”."
        ) % {"words": words}
    if message is None and (words := _title_with_surname(text, places)):
        message = _(
            "“%(words)s” names someone by their surname. Use an initial instead, for example "
            "“Mevrouw B.” or “Gezin K.”."
        ) % {"words": words}
    if message is None and (words := _name_with_age(text, places)):
        message = _(
            "“%(words)s” gives a name with an age. Use an initial instead, for example "
            "“Jongere T. (16)”."
        ) % {"words": words}
    if message is None and (words := _full_name(text, places)):
        message = _(
            "“%(words)s” looks like a full name. Use an initial instead, for example "
            "“Gezin K., Hoensbroek”."
        ) % {"words": words}
    if message:
        raise ValidationError(message, code="identifying_pseudonym")
