"""Who may see what in the directory, and the shared "verified professional" gate.

Until an organisation administrator has verified that someone works there, that person can
only edit their own profile: they are not listed, and they cannot use the directory,
channels or case rooms. Other apps use ``is_verified`` and ``verified_required`` from here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from directory.models import Membership, Organisation, Professional, Visibility


def is_verified(user: Any) -> bool:
    """True for active users with a verified professional profile, and platform admins."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, "_directory_verified", None)
    if cached is None:
        # the profile first: for nearly everyone it settles the question in one query, where
        # the roles (is_platform_admin) cost another
        cached = (
            Professional.objects.filter(user=user, verified=True).exists() or user.is_platform_admin
        )
        user._directory_verified = cached
    return cached


def refuse_unverified(request: HttpRequest) -> HttpResponse:
    """The verified gate's 403 page: why this part is closed to the person, and what they can
    do in their situation. A role with pages of its own (a programme manager, a privacy
    officer: no organisation) is pointed to those; someone who chose an organisation waits for
    one of its administrators; someone who chose none is asked to choose."""
    user: Any = request.user  # signed in: the gate runs after login_required
    pending = list(
        Organisation.objects.filter(
            memberships__professional__user=user, memberships__verified=False
        ).order_by("name")
    )
    if getattr(user, "has_role_pages", False):
        situation = "role"
    elif pending:
        situation = "pending"
    else:
        situation = "choose"
    context = {"situation": situation, "pending": pending}
    return render(request, "directory/awaiting_verification.html", context, status=403)


def verified_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in plus the verified gate; unverified users are told why and what to do."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_verified(request.user):
            return refuse_unverified(request)
        return view(request, *args, **kwargs)

    return wrapper


def organisation_ids_of(user: Any) -> frozenset[int]:
    """The organisations in which ``user`` is a verified member (cached on the user)."""
    cached = getattr(user, "_directory_organisation_ids", None)
    if cached is None:
        cached = frozenset(
            Membership.objects.filter(professional__user=user, verified=True).values_list(
                "organisation_id", flat=True
            )
        )
        user._directory_organisation_ids = cached
    return cached


def may_see(viewer: Any, professional: Professional, visibility: str) -> bool:
    """Whether ``viewer`` may see a contact detail shown to ``visibility``.

    Query-free in lists when ``professional`` has ``verified_organisation_ids`` (as search
    results do) or its ``memberships`` prefetched.
    """
    if viewer.pk == professional.user_id:
        return True
    if visibility == Visibility.COLLEAGUES:
        return is_verified(viewer)
    if visibility == Visibility.ORGANISATION:
        theirs = getattr(professional, "verified_organisation_ids", None)
        if theirs is None:
            theirs = [m.organisation_id for m in professional.memberships.all() if m.verified]
        return not organisation_ids_of(viewer).isdisjoint(theirs)
    return False


def visible_contact(viewer: Any, professional: Professional) -> dict[str, str]:
    """The phone number and e-mail address of ``professional`` that ``viewer`` may see."""
    contact = {}
    if professional.phone and may_see(viewer, professional, professional.phone_visibility):
        contact["phone"] = professional.phone
    if may_see(viewer, professional, professional.email_visibility):
        contact["email"] = professional.user.email
    return contact


def listed_professional(user: Any, pk: int) -> Professional:
    """A professional's profile as ``user`` may open it: listed ones, and always one's own."""
    professional = (
        Professional.objects.select_related("user")
        .prefetch_related(
            "disciplines",
            "neighbourhoods",
            "expertise",
            "languages",
            "memberships__organisation",
        )
        .filter(pk=pk, user__is_active=True)
        .first()
    )
    if professional is None or not (professional.verified or professional.user_id == user.pk):
        raise Http404
    return professional


def is_organisation_admin(user: Any, organisation: Organisation) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_platform_admin:
        return True
    return Membership.objects.filter(
        organisation=organisation,
        professional__user=user,
        role=Membership.Role.ADMIN,
        verified=True,
    ).exists()


def administered_organisation(user: Any, slug: str) -> Organisation:
    """The organisation ``slug`` if ``user`` administers it; 404 otherwise."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not is_organisation_admin(user, organisation):
        raise Http404
    return organisation
