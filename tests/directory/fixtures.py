from __future__ import annotations

import pytest

from directory.models import Domain, Language
from tests.factories import (
    DisciplineFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    ProfessionalFactory,
    UserFactory,
)


@pytest.fixture
def hoensbroek(db):
    return NeighbourhoodFactory(name="Hoensbroek", slug="hoensbroek", postcodes=[(6431, 6433)])


@pytest.fixture
def heerlen_noord(db):
    return NeighbourhoodFactory(
        name="Heerlen Noord", slug="heerlen-noord", postcodes=[(6412, 6414), (6419, 6419)]
    )


@pytest.fixture
def town(hoensbroek, heerlen_noord):
    """A small neighbourhood: a debt counsellor and a GP in Hoensbroek, a nurse in the north."""
    debt = DisciplineFactory(
        name="Schuldhulpverlener", slug="schuldhulpverlener", domain=Domain.DEBT
    )
    gp = DisciplineFactory(name="Huisarts", slug="huisarts", domain=Domain.MEDICAL)
    nurse = DisciplineFactory(
        name="Wijkverpleegkundige", slug="wijkverpleegkundige", domain=Domain.MEDICAL
    )
    credit = OrganisationFactory(name="Schuldhulp Parkstad", slug="schuldhulp-parkstad")
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    limburgs = Language.objects.create(code="li", name="Limburgs")
    people = {
        "counsellor": ProfessionalFactory(
            user=UserFactory(display_name="Sanne Claessens", email="sanne@wijk.example"),
            job_title="Schuldhulpverlener",
            organisation=credit,
            disciplines=[debt],
            neighbourhoods=[hoensbroek],
        ),
        "gp": ProfessionalFactory(
            user=UserFactory(display_name="Bram Hermans", email="bram@wijk.example"),
            job_title="Huisarts",
            organisation=practice,
            disciplines=[gp],
            neighbourhoods=[hoensbroek],
        ),
        "nurse": ProfessionalFactory(
            user=UserFactory(display_name="Roos Wetzels", email="roos@wijk.example"),
            job_title="Wijkverpleegkundige",
            organisation=practice,
            disciplines=[nurse],
            neighbourhoods=[heerlen_noord],
        ),
        "unverified": ProfessionalFactory(
            user=UserFactory(display_name="Noor Nieuwenhuis", email="noor@wijk.example"),
            job_title="Schuldhulpverlener",
            organisation=credit,
            organisation__verified=False,
            disciplines=[debt],
            neighbourhoods=[hoensbroek],
        ),
    }
    people["nurse"].languages.add(limburgs)
    from directory.services import refresh_search

    refresh_search(p.pk for p in people.values())
    for professional in people.values():
        professional.refresh_from_db()
    return people
