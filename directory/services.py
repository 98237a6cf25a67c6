"""State changes in the directory: profiles, memberships and the search document."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from directory import search
from directory.access import is_organisation_admin
from directory.models import Domain, Membership, Organisation, Professional

PHOTO_SIZE = 512
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000


def profile_for(user: Any) -> Professional:
    """The user's own profile, created empty the first time."""
    professional, _created = Professional.objects.get_or_create(user=user)
    return professional


def process_photo(
    upload: UploadedFile, *, size: tuple[int, int] = (PHOTO_SIZE, PHOTO_SIZE)
) -> ContentFile:
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
            image = ImageOps.exif_transpose(image).convert("RGB")
            image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # Saving afresh drops EXIF data such as the location where the photo was taken.
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(
            _("This file is not a photo we can read. Upload a JPEG or PNG file."),
            code="invalid_image",
        ) from None
    return ContentFile(out.getvalue(), name="photo.jpg")


@transaction.atomic
def save_profile(professional: Professional, form: Any, photo: UploadedFile | None) -> None:
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


def _search_parts(professional: Professional) -> dict[str, str]:
    """The weighted parts of the search document (on SQLite: the text it searches)."""
    disciplines = list(professional.disciplines.all())
    with translation.override(settings.LANGUAGE_CODE):
        domains = {str(Domain(d.domain).label) for d in disciplines}
    organisations = [m.organisation.name for m in professional.memberships.all() if m.verified]
    return {
        "A": " ".join([professional.user.display_name, professional.job_title]
                      + [d.name for d in disciplines]),
        "B": " ".join([t.name for t in professional.expertise.all()] + organisations
                      + sorted(domains)),
        "C": " ".join([n.name for n in professional.neighbourhoods.all()]
                      + [lang.name for lang in professional.languages.all()]
                      + [professional.availability]),
        "D": professional.bio,
    }  # fmt: skip


# PostgreSQL: every professional's search row in one statement, whatever their number. It writes
# the same document as _search_parts (parts A-D, in the same order) plus the columns the search
# filters, counts and sorts on (migration 0004 describes them), and `verified`: listed only with a
# verified membership. Table names are Django's defaults for these models and their many-to-many
# fields.
REFRESH_SQL = """
WITH doc AS (
    SELECT p.id, u.display_name AS name,
        EXISTS (SELECT 1 FROM directory_membership m
                WHERE m.professional_id = p.id AND m.verified) AS verified,
        concat_ws(' ', u.display_name, p.job_title, d.names) AS a,
        concat_ws(' ', e.names, o.names, dom.labels) AS b,
        concat_ws(' ', n.names, l.names, p.availability) AS c,
        p.bio AS d,
        coalesce(d.ids, '{}') AS discipline_ids, coalesce(dom.codes, '{}') AS domains,
        coalesce(n.ids, '{}') AS neighbourhood_ids, coalesce(o.ids, '{}') AS organisation_ids,
        coalesce(e.ids, '{}') AS expertise_ids, coalesce(l.ids, '{}') AS language_ids,
        concat_ws(' ', d.keys, dom.keys, n.keys, o.keys, e.keys, l.keys) AS facet_keys
    FROM directory_professional p
    JOIN accounts_user u ON u.id = p.user_id
    LEFT JOIN LATERAL (
        SELECT array_agg(x.id ORDER BY x.id) AS ids,
            string_agg(x.name, ' ' ORDER BY x.name) AS names,
            string_agg('d' || x.id, ' ' ORDER BY x.id) AS keys
        FROM directory_professional_disciplines t
        JOIN directory_discipline x ON x.id = t.discipline_id WHERE t.professional_id = p.id
    ) d ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(y.code ORDER BY y.code) AS codes,
            string_agg(y.label, ' ' ORDER BY y.label COLLATE "C") AS labels,
            string_agg('m' || y.code, ' ' ORDER BY y.code) AS keys
        FROM (SELECT DISTINCT x.domain::text AS code, dl.label
              FROM directory_professional_disciplines t
              JOIN directory_discipline x ON x.id = t.discipline_id
              LEFT JOIN unnest(%(domain_codes)s::text[], %(domain_labels)s::text[])
                  AS dl(code, label) ON dl.code = x.domain
              WHERE t.professional_id = p.id) y
    ) dom ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(x.id ORDER BY x.id) AS ids,
            string_agg(x.name, ' ' ORDER BY x.municipality, x.name) AS names,
            string_agg('n' || x.id, ' ' ORDER BY x.id) AS keys
        FROM directory_professional_neighbourhoods t
        JOIN directory_neighbourhood x ON x.id = t.neighbourhood_id WHERE t.professional_id = p.id
    ) n ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(x.id ORDER BY x.id) AS ids, string_agg(x.name, ' ' ORDER BY t.id) AS names,
            string_agg('o' || x.id, ' ' ORDER BY x.id) AS keys
        FROM directory_membership t
        JOIN directory_organisation x ON x.id = t.organisation_id
        WHERE t.professional_id = p.id AND t.verified
    ) o ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(x.id ORDER BY x.id) AS ids,
            string_agg(x.name, ' ' ORDER BY x.name) AS names,
            string_agg('e' || x.id, ' ' ORDER BY x.id) AS keys
        FROM directory_professional_expertise t
        JOIN directory_expertisetag x ON x.id = t.expertisetag_id WHERE t.professional_id = p.id
    ) e ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(x.id ORDER BY x.id) AS ids,
            string_agg(x.name, ' ' ORDER BY x.name) AS names,
            string_agg('l' || x.id, ' ' ORDER BY x.id) AS keys
        FROM directory_professional_languages t
        JOIN directory_language x ON x.id = t.language_id WHERE t.professional_id = p.id
    ) l ON true
    WHERE p.id = ANY(%(ids)s::bigint[])
)
UPDATE directory_professional AS p
SET verified = doc.verified,
    search_name = doc.name,
    search_text = lower(concat_ws(' ', doc.a, doc.b, doc.c, doc.d)),
    search_vector = setweight(to_tsvector(%(config)s::regconfig, doc.a), 'A')
        || setweight(to_tsvector(%(config)s::regconfig, doc.b), 'B')
        || setweight(to_tsvector(%(config)s::regconfig, doc.c), 'C')
        || setweight(to_tsvector(%(config)s::regconfig, doc.d), 'D'),
    discipline_ids = doc.discipline_ids, domains = doc.domains,
    neighbourhood_ids = doc.neighbourhood_ids, organisation_ids = doc.organisation_ids,
    expertise_ids = doc.expertise_ids, language_ids = doc.language_ids,
    facet_keys = doc.facet_keys
FROM doc
WHERE p.id = doc.id
"""
REFRESH_CHUNK = 5000

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
    if connection.vendor == "postgresql":
        with translation.override(settings.LANGUAGE_CODE):
            codes = [code for code, _label in Domain.choices]
            labels = [str(label) for _code, label in Domain.choices]
        with connection.cursor() as cursor:
            for start in range(0, len(ids), REFRESH_CHUNK):
                cursor.execute(
                    REFRESH_SQL,
                    {
                        "ids": ids[start : start + REFRESH_CHUNK],
                        "config": settings.SEARCH_CONFIG,
                        "domain_codes": codes,
                        "domain_labels": labels,
                    },
                )
        return
    # Elsewhere (SQLite) the search only needs the plain text, so one profile at a time will do.
    professionals = (
        Professional.objects.filter(pk__in=ids)
        .select_related("user")
        .prefetch_related(
            "disciplines", "expertise", "neighbourhoods", "languages", "memberships__organisation"
        )
    )
    for professional in professionals:
        Professional.objects.filter(pk=professional.pk).update(
            search_text=" ".join(_search_parts(professional).values()).lower(),
            verified=any(m.verified for m in professional.memberships.all()),
        )


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


@transaction.atomic
def remove_membership(membership: Membership, *, by: Any) -> None:
    if not is_organisation_admin(by, membership.organisation):
        raise PermissionDenied
    if membership.professional.user_id == by.pk and membership.role == Membership.Role.ADMIN:
        others = membership.organisation.memberships.filter(
            role=Membership.Role.ADMIN, verified=True
        ).exclude(pk=membership.pk)
        if not others.exists() and not by.is_platform_admin:
            raise ValidationError(
                _("You are this organisation's only administrator; appoint another one first.")
            )
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
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def save_organisation(organisation: Organisation, form: Any, *, by: Any) -> None:
    if not is_organisation_admin(by, organisation):
        raise PermissionDenied
    # directory.signals refreshes the search rows of its verified members (its name is in them).
    with search_refresh_batch():
        form.save()
