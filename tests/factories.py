from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@wijk.example")
    display_name = factory.Sequence(lambda n: f"Persoon {n}")
    password = factory.PostGenerationMethodCall("set_password", "Correct-horse-battery-9")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            # get_or_create: transactional tests flush the roles the migrations made
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )
        if create:
            self.save()


class SuperuserFactory(UserFactory):
    """A platform administrator as ``seed_demo`` makes one: the role, staff and superuser.

    Django answers yes to every model permission of an active superuser; the platform must still
    treat this person as an outsider to every room they are not a member of.
    """

    is_staff = True
    is_superuser = True

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        names = ["platform_admin"] if extracted is None else extracted
        if create and names:
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in names))


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Neighbourhood"
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Wijk {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    municipality = "Heerlen"

    @factory.post_generation
    def postcodes(self, create: bool, extracted: list[tuple[int, int]] | None, **kwargs: object):
        if create and extracted:
            for first, last in extracted:
                self.postcode_ranges.get_or_create(first=first, last=last)


class DisciplineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Discipline"
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Discipline {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    domain = "social"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Organisation"
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Organisatie {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    verified = True


class ProfessionalFactory(factory.django.DjangoModelFactory):
    """A professional; verified (member of ``organisation``, confirmed) unless told otherwise."""

    class Meta:
        model = "directory.Professional"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    job_title = "Welzijnswerker"

    @factory.post_generation
    def organisation(self, create: bool, extracted, **kwargs: object) -> None:
        if not create:
            return
        from directory.models import Membership
        from directory.services import refresh_verified

        verified = kwargs.get("verified", True)
        role = kwargs.get("role", Membership.Role.MEMBER)
        organisation = extracted or OrganisationFactory()
        Membership.objects.create(
            professional=self, organisation=organisation, verified=verified, role=role
        )
        refresh_verified(self)

    @factory.post_generation
    def disciplines(self, create: bool, extracted, **kwargs: object) -> None:
        if create and extracted:
            self.disciplines.set(extracted)

    @factory.post_generation
    def neighbourhoods(self, create: bool, extracted, **kwargs: object) -> None:
        if create and extracted:
            self.neighbourhoods.set(extracted)

    @factory.post_generation
    def refresh(self, create: bool, extracted, **kwargs: object) -> None:
        if create:
            from directory.services import refresh_search

            refresh_search([self.pk])
