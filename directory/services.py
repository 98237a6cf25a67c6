"""State changes in the directory: profiles, memberships and the search document."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Collate, Concat, NullIf
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from directory import search
from directory.access import is_organisation_admin
from directory.models import Discipline, Domain, Membership, Organisation, Professional

PHOTO_SIZE = 512
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000


def profile_for(user: Any) -> Professional:
    """The user's own profile, created empty the first time."""
    professional, _created = Professional.objects.get_or_create(user=user)
    return professional


def process_photo(
    upload: UploadedFile[Any], *, size: tuple[int, int] = (PHOTO_SIZE, PHOTO_SIZE)
) -> ContentFile[bytes]:
    """Check that ``upload`` really is a photo; return it cropped to ``size`` as a JPEG without
    metadata (a square profile photo unless told otherwise)."""
    if upload.size and upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo may be at most 5 MB."), code="too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="too_large")
            if probe.format not in {"JPEG", "PNG", "WEBP", "GIF"}:
                raise ValidationError(
                    _("Upload a JPEG, PNG, WebP or GIF photo."), code="invalid_type"
                )
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            fitted = ImageOps.fit(
                ImageOps.exif_transpose(image).convert("RGB"), size, Image.Resampling.LANCZOS
            )
            out = io.BytesIO()
            # Saving afresh drops EXIF data such as the location where the photo was taken.
            fitted.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(
            _("This file is not a photo we can read. Upload a JPEG or PNG file."),
            code="invalid_image",
        ) from None
    return ContentFile(out.getvalue(), name="photo.jpg")


@transaction.atomic
def save_profile(professional: Professional, form: Any, photo: UploadedFile[Any] | None) -> None:
    """Save the profile form (already valid), replace the photo if one was sent."""
    old_photo = professional.photo.name if professional.photo else ""
    with search_refresh_batch():
        form.save()
        if photo is not None:
            professional.photo.save("photo.jpg", process_photo(photo), save=True)
        elif form.cleaned_data.get("remove_photo"):
            professional.photo = ""
            professional.save(update_fields=["photo"])
        queue_refresh([professional.pk])
    new_photo = professional.photo.name if professional.photo else ""
    if old_photo and old_photo != new_photo:
        storage = professional.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo))


# How many search rows one UPDATE statement recomputes.
REFRESH_CHUNK = 5000


class ConcatWS(Func):
    """PostgreSQL's ``concat_ws(' ', ...)``: the texts that are not NULL, separated by spaces."""

    function = "concat_ws"
    template = "%(function)s(' ', %(expressions)s)"
    output_field = TextField()


class Joined(Func):
    """PostgreSQL's ``array_to_string(array, ' ')``: the values of an array as one text."""

    function = "array_to_string"
    template = "%(function)s(%(expressions)s, ' ')"
    output_field = TextField()


def _values(rows: QuerySet[Any], value: Any, *ordering: Any) -> ArraySubquery:
    """``value`` (a field or an expression) of those of ``rows`` that belong to the professional
    whose search row is being written, as an array in the order of ``ordering`` or the values."""
    value = F(value) if isinstance(value, str) else value
    mine = rows.filter(professional=OuterRef("pk")).order_by(*(ordering or [value]))
    return ArraySubquery(mine.values(value=value))


def _key(letter: str, field: str) -> Concat:
    """A facet key: the facet's letter and the value, "d3" for discipline 3."""
    return Concat(Value(letter), Cast(field, TextField()), output_field=TextField())


def _keys(values: ArraySubquery) -> NullIf:
    """Facet keys as one text, "d3 d12", or NULL if there are none (concat_ws leaves it out)."""
    return NullIf(Joined(values), Value(""))


@functools.cache
def _search_row(language: str, config: str) -> dict[str, Any]:
    """What ``refresh_search`` writes into a professional's search row, as expressions over the
    relational tables (one UPDATE, whatever the number of professionals), with the domains'
    labels in ``language`` and the document made with the text search configuration ``config``.
    The expressions are built once; each query resolves copies of them."""
    disciplines = Professional.disciplines.through.objects.all()
    neighbourhoods = Professional.neighbourhoods.through.objects.all()
    expertise = Professional.expertise.through.objects.all()
    languages = Professional.languages.through.objects.all()
    organisations = Membership.objects.filter(verified=True)  # listed only where verified
    name = Subquery(
        get_user_model().objects.filter(pk=OuterRef("user_id")).order_by().values("display_name")
    )
    domains = Discipline.objects.filter(professional=OuterRef("pk")).order_by()
    with translation.override(language):
        whens = [When(domain=code, then=Value(str(label))) for code, label in Domain.choices]
    # each domain's label once, in a fixed (byte) order
    labels = domains.values(label=Collate(Case(*whens, output_field=TextField()), "C"))

    def part(weight: str, *texts: Any) -> SearchVector:
        return SearchVector(*texts, weight=weight, config=config)

    document = (
        part("A", name, "job_title", Joined(_values(disciplines, "discipline__name")))
        + part(
            "B",
            Joined(_values(expertise, "expertisetag__name")),
            Joined(_values(organisations, "organisation__name", "id")),
            Joined(ArraySubquery(labels.distinct().order_by("label"))),
        )
        + part(
            "C",
            Joined(_values(neighbourhoods, "neighbourhood__name", "neighbourhood__municipality",
                           "neighbourhood__name")),
            Joined(_values(languages, "language__name")),
            "availability",
        )
        + part("D", "bio")
    )  # fmt: skip
    return {
        "verified": Exists(organisations.filter(professional=OuterRef("pk"))),
        "search_name": name,
        "search_vector": document,
        "discipline_ids": _values(disciplines, "discipline_id"),
        "domains": ArraySubquery(domains.values("domain").distinct().order_by("domain")),
        "neighbourhood_ids": _values(neighbourhoods, "neighbourhood_id"),
        "organisation_ids": _values(organisations, "organisation_id"),
        "expertise_ids": _values(expertise, "expertisetag_id"),
        "language_ids": _values(languages, "language_id"),
        "facet_keys": ConcatWS(
            _keys(_values(disciplines, _key("d", "discipline_id"), "discipline_id")),
            _keys(
                ArraySubquery(domains.values(key=_key("m", "domain")).distinct().order_by("key"))
            ),
            _keys(_values(neighbourhoods, _key("n", "neighbourhood_id"), "neighbourhood_id")),
            _keys(_values(organisations, _key("o", "organisation_id"), "organisation_id")),
            _keys(_values(expertise, _key("e", "expertisetag_id"), "expertisetag_id")),
            _keys(_values(languages, _key("l", "language_id"), "language_id")),
        ),
    }


# Inside search_refresh_batch(): the professionals whose search row is to be refreshed at its end.
_pending: ContextVar[set[int] | None] = ContextVar("directory_search_pending", default=None)


def refresh_search(professional_ids: Iterable[int]) -> None:
    """Recompute the search row of these professionals now: their search document, the values
    the search filters and counts on, and whether they are listed (a verified membership)."""
    ids = sorted({int(pk) for pk in professional_ids})
    # The shared counts of the unfiltered directory page include these people.
    cache.delete(search.UNFILTERED_COUNTS_KEY)
    if not ids:
        return
    row = _search_row(settings.LANGUAGE_CODE, settings.SEARCH_CONFIG)
    for start in range(0, len(ids), REFRESH_CHUNK):
        Professional.objects.filter(pk__in=ids[start : start + REFRESH_CHUNK]).update(**row)


def queue_refresh(professional_ids: Iterable[int]) -> None:
    """Refresh these search rows now, or at the end of the enclosing search_refresh_batch()."""
    pending = _pending.get()
    if pending is None:
        refresh_search(professional_ids)
    else:
        pending.update(int(pk) for pk in professional_ids)


@contextmanager
def search_refresh_batch() -> Iterator[None]:
    """Collect the refreshes that changes inside ask for and run them once, at the end.

    Signals (directory.signals) refresh a profile's search row on every change to it; a service
    that changes many things at once wraps them in this so that the row is computed once.
    Nested batches refresh when the outermost one ends; after an exception nothing is refreshed
    (the surrounding transaction is expected to roll back).
    """
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(set())
    try:
        yield
        pending = _pending.get() or set()
    finally:
        _pending.reset(token)
    refresh_search(pending)


def refresh_verified(professional: Professional) -> None:
    """Recompute whether ``professional`` is listed (a verified membership) and their search row."""
    professional.verified = professional.memberships.filter(verified=True).exists()
    queue_refresh([professional.pk])


@transaction.atomic
def request_membership(professional: Professional, organisation: Organisation) -> Membership:
    """Ask to be listed as working at ``organisation``; its administrators decide."""
    membership, created = Membership.objects.get_or_create(
        professional=professional, organisation=organisation
    )
    if not created and membership.verified:
        raise ValidationError(_("You are already a verified member of this organisation."))
    return membership


@transaction.atomic
def verify_membership(membership: Membership, *, by: Any) -> None:
    if not is_organisation_admin(by, membership.organisation):
        raise PermissionDenied
    membership.verified = True
    membership.verified_by = by
    membership.verified_at = timezone.now()
    with search_refresh_batch():
        membership.save(update_fields=["verified", "verified_by", "verified_at"])
        refresh_verified(membership.professional)


def _keep_an_administrator(membership: Membership, *, by: Any) -> None:
    """Refuse to let ``by`` give up their own administrator's role in an organisation (leaving
    or becoming a member) when no other administrator remains; a platform administrator may."""
    if membership.professional.user_id == by.pk and membership.role == Membership.Role.ADMIN:
        # one at a time: two administrators stepping down at once would each see the other
        list(Organisation.objects.select_for_update().filter(pk=membership.organisation_id))
        others = membership.organisation.memberships.filter(
            role=Membership.Role.ADMIN, verified=True
        ).exclude(pk=membership.pk)
        if not others.exists() and not by.is_platform_admin:
            raise ValidationError(
                _("You are this organisation's only administrator; appoint another one first.")
            )


@transaction.atomic
def remove_membership(membership: Membership, *, by: Any) -> None:
    if not is_organisation_admin(by, membership.organisation):
        raise PermissionDenied
    _keep_an_administrator(membership, by=by)
    professional = membership.professional
    with search_refresh_batch():
        membership.delete()
        refresh_verified(professional)


@transaction.atomic
def set_membership_role(membership: Membership, role: str, *, by: Any) -> None:
    if not is_organisation_admin(by, membership.organisation):
        raise PermissionDenied
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role."))
    if role != Membership.Role.ADMIN:
        _keep_an_administrator(membership, by=by)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def save_organisation(organisation: Organisation, form: Any, *, by: Any) -> None:
    if not is_organisation_admin(by, organisation):
        raise PermissionDenied
    # directory.signals refreshes the search rows of its verified members (its name is in them).
    with search_refresh_batch():
        form.save()
