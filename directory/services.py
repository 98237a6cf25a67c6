"""State changes in the directory: profiles, memberships and the search document."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Value
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
    form.save()
    if photo is not None:
        professional.photo.save("photo.jpg", process_photo(photo), save=True)
    elif form.cleaned_data.get("remove_photo"):
        professional.photo = ""
        professional.save(update_fields=["photo"])
    new_photo = professional.photo.name if professional.photo else ""
    if old_photo and old_photo != new_photo:
        storage = professional.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo))
    refresh_search([professional.pk])


def _search_parts(professional: Professional) -> dict[str, str]:
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


def refresh_search(professional_ids: Iterable[int]) -> None:
    """Recompute the stored search document of these professionals."""
    # The shared counts of the unfiltered directory page include these people.
    cache.delete(search.UNFILTERED_COUNTS_KEY)
    professionals = (
        Professional.objects.filter(pk__in=list(professional_ids))
        .select_related("user")
        .prefetch_related(
            "disciplines", "expertise", "neighbourhoods", "languages", "memberships__organisation"
        )
    )
    for professional in professionals:
        parts = _search_parts(professional)
        update: dict[str, Any] = {"search_text": " ".join(parts.values()).lower()}
        if settings.IS_POSTGRES:
            vector = None
            for weight, text in parts.items():
                part = SearchVector(Value(text), weight=weight, config=settings.SEARCH_CONFIG)
                vector = part if vector is None else vector + part
            update["search_vector"] = vector
        Professional.objects.filter(pk=professional.pk).update(**update)


def refresh_verified(professional: Professional) -> None:
    verified = professional.memberships.filter(verified=True).exists()
    if professional.verified != verified:
        professional.verified = verified
        professional.save(update_fields=["verified"])
    refresh_search([professional.pk])


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
    form.save()
    members = organisation.memberships.filter(verified=True).values_list("professional_id")
    refresh_search(pid for (pid,) in members)
