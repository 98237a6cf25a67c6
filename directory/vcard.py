"""A professional's contact card (vCard 3.0), with only the details the viewer may see."""

from __future__ import annotations

import vobject

from directory.models import Professional


def vcard_for(professional: Professional, contact: dict[str, str]) -> str:
    card = vobject.vCard()
    name = professional.user.display_name
    card.add("fn").value = name
    parts = name.rsplit(" ", 1)
    card.add("n").value = vobject.vcard.Name(
        family=parts[-1], given=parts[0] if len(parts) > 1 else ""
    )
    if professional.job_title:
        card.add("title").value = professional.job_title
    organisations = [m.organisation.name for m in professional.memberships.all() if m.verified]
    if organisations:
        card.add("org").value = [organisations[0]]
    if "phone" in contact:
        tel = card.add("tel")
        tel.value = contact["phone"]
        tel.type_param = "WORK"
    if "email" in contact:
        email = card.add("email")
        email.value = contact["email"]
        email.type_param = "INTERNET"
    return card.serialize()
