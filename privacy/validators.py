"""Keep identifying data out of case rooms, as far as a machine reasonably can.

These checks catch the obvious mistakes (a citizen service number, an e-mail address, a full
postcode, a date of birth, a first name followed by a surname); they cannot prove that a text
identifies nobody. The form text asks for a pseudonym, and people remain responsible.
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


def validate_pseudonym(value: str) -> None:
    """A pseudonym such as “Gezin K., Hoensbroek”: initials, not names or numbers."""
    text = (value or "").strip()
    message = _identifier_message(text)
    if message is None and _POSTCODE.search(text):
        message = _("Remove the postcode: use the neighbourhood's name instead.")
    if message is None and _DATE.search(text):
        message = _("Remove the date: a date of birth identifies a person.")
    if message is None:
        places = None
        for match in _NAME_PAIR.finditer(text):
            first, last = match.group(1), match.group(2)
            if first.lower() in _DESCRIPTIVE or last.lower() in _PLACE_WORDS:
                continue
            if places is None:
                places = _neighbourhood_names()
            if match.group(0).lower() in places or f"{first} {last}".lower() in places:
                continue
            message = _(
                "“%(words)s” looks like a full name. Use an initial instead, for example "
                "“Gezin K., Hoensbroek”."
            ) % {"words": match.group(0)}
            break
    if message:
        raise ValidationError(message, code="identifying_pseudonym")
