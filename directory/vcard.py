"""A professional's contact card (vCard 3.0), with only the details the viewer may see."""

from __future__ import annotations

import vobject

from directory.models import Professional

# Words that start a family name (tussenvoegsels and their like in names common here): "Jan van
# der Berg" is Jan of the family "van der Berg", as a phone book sorts him.
NAME_PREFIXES = frozenset(
    [
        "van", "der", "den", "de", "het", "'t", "ter", "te", "ten", "in", "op", "aan", "bij",
        "uit", "voor", "onder", "over", "'s", "d'", "l'", "la", "le", "du", "des", "del",
        "della", "di", "da", "dos", "das", "do", "von", "vom", "zu", "zum", "zur", "al", "el",
    ]
)  # fmt: skip


def name_parts(name: str) -> tuple[str, str]:
    """(given names, family name) of a display name: the last word with the name prefixes
    before it is the family name, the rest the given names."""
    words = name.split()
    if not words:
        return "", ""
    start = len(words) - 1
    while start > 0 and words[start - 1].casefold() in NAME_PREFIXES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


def vcard_for(professional: Professional, contact: dict[str, str]) -> str:
    card = vobject.vCard()
    name = professional.user.display_name
    card.add("fn").value = name
    given, family = name_parts(name)
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    if professional.job_title:
        card.add("title").value = professional.job_title
    # the first by name, the same on every download (a card names one organisation)
    organisations = sorted(
        (m.organisation for m in professional.memberships.all() if m.verified),
        key=lambda organisation: (organisation.name.casefold(), organisation.pk),
    )
    if organisations:
        card.add("org").value = [organisations[0].name]
    if "phone" in contact:
        tel = card.add("tel")
        tel.value = contact["phone"]
        tel.type_param = "WORK"
    if "email" in contact:
        email = card.add("email")
        email.value = contact["email"]
        email.type_param = "INTERNET"
    return card.serialize()
