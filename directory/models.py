from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import RandomName
from core.search import search_words

# The longest search term a synonym may have, in words (directory.search looks no further).
SYNONYM_TERM_WORDS = 3

postcode_validator = RegexValidator(
    r"^[1-9][0-9]{3} ?[A-Za-z]{2}$", _("Enter a Dutch postcode such as 6431 AB.")
)

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{5,20}$", _("Enter a phone number such as 045 123 4567.")
)


class Domain(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SOCIAL = "social", _("Social")
    YOUTH = "youth", _("Youth")
    DEBT = "debt", _("Debt and poverty")
    ELDERLY_CARE = "elderly_care", _("Elderly care")

    @classmethod
    def medical_side(cls) -> frozenset[str]:
        """Domains counted as the medical side when asking whether domains meet."""
        return frozenset({cls.MEDICAL, cls.MENTAL_HEALTH, cls.ELDERLY_CARE})


class Neighbourhood(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    municipality = models.CharField(_("municipality"), max_length=100)

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["municipality", "name"]

    def __str__(self) -> str:
        return self.name


class NeighbourhoodBoundary(models.Model):
    """A neighbourhood's outline on the social map, loaded per deployment from a GeoJSON file
    (``manage.py import_boundaries``, docs/IMPORT.md). Kept apart from the neighbourhood itself,
    which every search form and filter loads and which needs none of this."""

    neighbourhood = models.OneToOneField(
        Neighbourhood, on_delete=models.CASCADE, related_name="boundary"
    )
    code = models.CharField(
        _("code"), max_length=20, blank=True, help_text=_("For example CBS's code WK091701.")
    )
    # [polygon, …]; a polygon is [outer ring, hole, …]; a ring is [[longitude, latitude], …]
    # in WGS 84 (GeoJSON's coordinates), first and last point the same.
    polygons = models.JSONField(_("polygons"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("neighbourhood boundary")
        verbose_name_plural = _("neighbourhood boundaries")

    def __str__(self) -> str:
        return str(self.neighbourhood)


class PostcodeRange(models.Model):
    """The four-digit postcode areas a neighbourhood covers, e.g. 6431–6433."""

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="postcode_ranges"
    )
    first = models.PositiveSmallIntegerField(_("from postcode"))
    last = models.PositiveSmallIntegerField(_("to postcode"))

    class Meta:
        verbose_name = _("postcode range")
        verbose_name_plural = _("postcode ranges")
        ordering = ["first"]
        indexes = [models.Index(fields=["first", "last"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first__lte=models.F("last"))
                & models.Q(first__gte=1000)
                & models.Q(last__lte=9999),
                name="postcode_range_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first}–{self.last}" if self.first != self.last else str(self.first)

    def clean(self) -> None:
        if self.first is not None and self.last is not None and self.first > self.last:
            raise ValidationError({"last": _("The range must not end before it starts.")})


class Discipline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceTheme(models.Model):
    """A theme of help on the social map, e.g. "Schulden en geld" or "Opvoeden en opgroeien"."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service theme")
        verbose_name_plural = _("service themes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ExpertiseTag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), unique=True, max_length=60)

    class Meta:
        verbose_name = _("expertise")
        verbose_name_plural = _("expertise")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SearchSynonym(models.Model):
    """A word people search the directory for and what it stands for in this deployment's
    profiles: "jongerenwerker" finds the youth workers, "POH" the practice nurses. The search
    looks for the term itself or any of its alternatives (directory.search)."""

    term = models.CharField(
        _("search term"),
        max_length=60,
        unique=True,
        help_text=_("What people type, for example “jongerenwerker”. At most three words."),
    )
    alternatives = models.CharField(
        _("stands for"),
        max_length=300,
        help_text=_(
            "The professions or expertise it means, as the profiles name them, separated by "
            "commas: for example “jeugdprofessional, jongerenwerk”."
        ),
    )

    class Meta:
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    def alternative_list(self) -> list[str]:
        return [part.strip() for part in self.alternatives.split(",") if part.strip()]

    def clean(self) -> None:
        # Stored as the search reads what was typed: lower case, words only.
        words = search_words(self.term)
        if not words:
            raise ValidationError({"term": _("Enter a word.")})
        if len(words) > SYNONYM_TERM_WORDS:
            raise ValidationError({"term": _("A search term has at most three words.")})
        self.term = " ".join(words)
        if not any(search_words(part) for part in self.alternative_list()):
            raise ValidationError({"alternatives": _("Enter at least one word it stands for.")})


class Language(models.Model):
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True, max_length=200)
    kind = models.CharField(_("type"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(
        _("postcode"), max_length=7, blank=True, validators=[postcode_validator]
    )
    city = models.CharField(_("place"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(_("e-mail address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, verbose_name=_("neighbourhoods served"), blank=True
    )
    services = models.ManyToManyField(
        ServiceTheme, verbose_name=_("services offered"), blank=True, related_name="organisations"
    )
    verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_(
            "Checked by a platform administrator: this organisation exists and works here."
        ),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    COLLEAGUES = "colleagues", _("All verified professionals")
    ORGANISATION = "organisation", _("Colleagues in my organisations")
    HIDDEN = "hidden", _("Nobody")


class Professional(models.Model):
    """A user's profile as a professional in the neighbourhood."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="professional"
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    disciplines = models.ManyToManyField(Discipline, verbose_name=_("disciplines"), blank=True)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, verbose_name=_("neighbourhoods served"), blank=True
    )
    organisations = models.ManyToManyField(
        Organisation, through="Membership", related_name="professionals"
    )
    expertise = models.ManyToManyField(ExpertiseTag, verbose_name=_("expertise"), blank=True)
    languages = models.ManyToManyField(Language, verbose_name=_("languages"), blank=True)
    availability = models.CharField(
        _("availability"),
        max_length=200,
        blank=True,
        help_text=_("For example: Monday to Thursday, 8:30 to 17:00."),
    )
    bio = models.TextField(
        _("about me"), blank=True, max_length=5000, help_text=_("You can use Markdown.")
    )
    photo = models.ImageField(
        _("photo"), upload_to=RandomName("profiles", suffix=".jpg"), blank=True
    )
    big_number = models.CharField(
        _("BIG number"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{11}$", _("A BIG number has 11 digits."))],
    )
    agb_code = models.CharField(
        _("AGB code"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{8}$", _("An AGB code has 8 digits."))],
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[phone_validator])
    phone_visibility = models.CharField(
        _("who sees my phone number"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.COLLEAGUES,
    )
    email_visibility = models.CharField(
        _("who sees my e-mail address"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.COLLEAGUES,
    )
    # Denormalised by directory.services: listed in the directory and search only when True.
    verified = models.BooleanField(_("verified"), default=False, editable=False)
    # The search row, denormalised by directory.services.refresh_search (directory.signals runs
    # it after every change to what it is made of), so that a search reads this table alone:
    # the weighted document (name, job title and disciplines; expertise, organisations and
    # domains; neighbourhoods, languages and availability; the bio), the name for typo-tolerant
    # matching and sorting, the values the filters test (arrays with one GIN index: a filter is
    # array containment) and the same values as one text of keys that the facet counts tally,
    # "d3 mmedical n1 o12 e7 e40 l2": a letter per facet and the id, or for a domain its code.
    search_vector = SearchVectorField(null=True, editable=False)
    search_name = models.CharField(max_length=150, default="", editable=False)
    discipline_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    domains = ArrayField(models.TextField(), default=list, editable=False)
    neighbourhood_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    # of verified memberships only
    organisation_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    expertise_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    language_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    facet_keys = models.TextField(default="", editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")
        indexes = [
            models.Index(fields=["verified"], name="professional_verified"),
            GinIndex(fields=["search_vector"], name="professional_search_gin"),
            GinIndex(OpClass("search_name", name="gin_trgm_ops"), name="professional_name_trgm"),
            GinIndex(
                fields=[
                    "discipline_ids",
                    "domains",
                    "neighbourhood_ids",
                    "organisation_ids",
                    "expertise_ids",
                    "language_ids",
                ],
                name="professional_facets_gin",
            ),
            # the listed in name order: the directory page without a query, and sorting by name
            models.Index(
                fields=["search_name", "id"],
                condition=models.Q(verified=True),
                name="professional_listed_name",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def display_name(self) -> str:
        return self.user.display_name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        ADMIN = "admin", _("Organisation administrator")

    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    verified = models.BooleanField(_("verified"), default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "organisation"], name="membership_unique"
            )
        ]
        indexes = [models.Index(fields=["organisation", "verified"])]

    def __str__(self) -> str:
        return f"{self.professional} @ {self.organisation}"
