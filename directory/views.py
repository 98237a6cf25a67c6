from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.templatetags.querystrings import query_with
from core.views import form_page
from directory import access, services
from directory.forms import MembershipRequestForm, OrganisationForm, ProfileForm, SocialMapForm
from directory.models import (
    Domain,
    Membership,
    Neighbourhood,
    Organisation,
    Professional,
    ServiceTheme,
)
from directory.neighbourhood_map import overview
from directory.search import (
    FACETS,
    FILTERS,
    DirectorySearchForm,
    neighbourhoods_of,
    place_names,
    search,
)
from directory.vcard import vcard_for

# How many values of each facet the page links to.
FACET_LINKS = 12


# What a directory search's address may hold: taken from a result link or the Referer, only these
# are passed back to the search page, so that the way back leads to the directory and nowhere else.
SEARCH_PARAMETERS = frozenset(["q", "sort", "page", *FILTERS])
# A search's query string is short; a longer one is not one of ours.
SEARCH_QUERY_MAX = 1000


def _search_query(query: str) -> str:
    """``query`` reduced to the parameters of a directory search, encoded again."""
    if len(query) > SEARCH_QUERY_MAX:
        return ""
    pairs = parse_qsl(query)
    return urlencode([(k, v) for k, v in pairs if k in SEARCH_PARAMETERS and v][:20])


def _filter_label(form: DirectorySearchForm, name: str) -> str:
    """A chip's value as the filter form shows it: the discipline's or neighbourhood's name, the
    domain's label, the postcode with its neighbourhood; as typed when it is not valid."""
    raw = form.data.get(name, "")
    value = getattr(form, "cleaned_data", {}).get(name)
    if not value:
        return raw
    if name == "domain":
        return str(Domain(value).label)
    if name == "postcode":
        typed = "".join(raw.split()).upper()  # "6432ab" → "6432 AB"
        return f"{typed[:4]} {typed[4:]}".strip() + f" ({place_names(value)})"
    return str(value)


@access.verified_required
def index(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("q", "")
    if not request.GET.get("postcode") and neighbourhoods_of(typed):
        # A postcode typed in the search box means the postcode filter: nobody's name or
        # expertise holds it, and the filter finds who works there.
        params = request.GET.copy()
        params["postcode"] = typed.strip()
        for name in ("q", "page"):
            params.pop(name, None)
        return redirect(f"{reverse('directory:index')}?{params.urlencode()}")
    form = DirectorySearchForm(request.GET or None)
    result = None
    if not request.GET or form.is_valid():
        result = search(form.cleaned_data if request.GET else {}, request.GET.get("page"))
        for professional in result.page.object_list:
            professional.contact = access.visible_contact(request.user, professional)
    # The whole query lives in the URL; pagination keeps it, minus the page number.
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    active_filters = [
        (name, form[name].label, _filter_label(form, name))
        for name in FILTERS
        if request.GET.get(name)
    ]
    facets = []
    if result:
        for name, values in result.facets.items():
            shown = values[:FACET_LINKS]
            for value in shown:  # a selected value's link removes what selects it
                if value.selected:
                    value.url = query_with(request, value.selected_by or name)
                else:
                    value.url = query_with(request, name, value.value)
            facets.append((form[name].label, shown))
    # A profile opened from the results leads back to this search, page and all.
    search_query = _search_query(request.GET.urlencode())
    return render(
        request,
        "directory/index.html",
        {
            "form": form,
            "result": result,
            "page": result.page if result else None,
            "query": query,
            "back_query": urlencode({"terug": search_query}) if search_query else "",
            "active_filters": active_filters,
            # The search form keeps the filters chosen in the facets.
            "hidden_filters": [(n, request.GET[n]) for n in FACETS if request.GET.get(n)],
            "facets": facets,
        },
        status=200 if result else 400,
    )


def _back_to_search(request: HttpRequest) -> str:
    """The directory search a profile was opened from: the search's query string that its result
    link carries (``terug``), or else the Referer if that is a search on this site; the empty
    directory otherwise. Always an address of the directory itself, never one given."""
    directory = reverse("directory:index")
    query = request.GET.get("terug", "")
    if not query:
        referer = urlsplit(request.headers.get("Referer", ""))
        if (
            referer.scheme in {"http", "https"}
            and referer.netloc == request.get_host()
            and referer.path == directory
        ):
            query = referer.query
    query = _search_query(query)
    return f"{directory}?{query}" if query else directory


@access.verified_required
def professional_detail(request: HttpRequest, pk: int) -> HttpResponse:
    professional = access.listed_professional(request.user, pk)
    return render(
        request,
        "directory/professional_detail.html",
        {
            "professional": professional,
            "contact": access.visible_contact(request.user, professional),
            "memberships": [m for m in professional.memberships.all() if m.verified],
            "back_url": _back_to_search(request),
        },
    )


@access.verified_required
def professional_vcard(request: HttpRequest, pk: int) -> HttpResponse:
    professional = access.listed_professional(request.user, pk)
    card = vcard_for(professional, access.visible_contact(request.user, professional))
    response = HttpResponse(card, content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{professional.pk}.vcf"'
    return response


@login_required
def professional_photo(request: HttpRequest, pk: int) -> FileResponse:
    # Photos are personal data: only for verified colleagues, and the owner themselves.
    professional = Professional.objects.select_related("user").filter(pk=pk).first()
    if professional is None or not professional.photo:
        raise Http404
    if professional.user_id != request.user.pk:
        if not access.is_verified(request.user):
            raise Http404
        access.listed_professional(request.user, pk)
    response = FileResponse(professional.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    professional = services.profile_for(request.user)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=professional)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_profile(professional, form, form.cleaned_data.get("photo_upload"))
        except ValidationError as error:
            form.add_error("photo_upload", error)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("directory:profile_edit")
    memberships = professional.memberships.select_related("organisation").order_by(
        "organisation__name"
    )
    return form_page(
        request,
        "directory/profile_edit.html",
        {
            "form": form,
            "professional": professional,
            "memberships": memberships,
            "membership_form": MembershipRequestForm(),
            "verified": access.is_verified(request.user),
        },
    )


@login_required
@require_POST
def membership_request(request: HttpRequest) -> HttpResponse:
    professional = services.profile_for(request.user)
    form = MembershipRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_membership(professional, form.cleaned_data["organisation"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("Request sent. An administrator of %(organisation)s will confirm it.")
                % {"organisation": form.cleaned_data["organisation"].name},
            )
    else:
        messages.error(request, _("Choose an organisation from the list."))
    return redirect(reverse("directory:profile_edit") + "#memberships")


@access.verified_required
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    verified_members = (
        Membership.objects.filter(
            verified=True, professional__verified=True, professional__user__is_active=True
        )
        .select_related("professional__user")
        .order_by("professional__user__display_name")
    )
    organisation = get_object_or_404(
        Organisation.objects.prefetch_related(
            "neighbourhoods", "services", Prefetch("memberships", verified_members, "members")
        ),
        slug=slug,
    )
    return render(
        request,
        "directory/organisation_detail.html",
        {
            "organisation": organisation,
            "can_manage": access.is_organisation_admin(request.user, organisation),
        },
    )


@login_required
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = access.administered_organisation(request.user, slug)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.save_organisation(organisation, form, by=request.user)
        messages.success(request, _("The organisation has been saved."))
        return redirect("directory:organisation", slug=organisation.slug)
    return form_page(
        request,
        "directory/organisation_edit.html",
        {"form": form, "organisation": organisation},
    )


@login_required
def organisation_members(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = access.administered_organisation(request.user, slug)
    memberships = organisation.memberships.select_related(
        "professional__user", "verified_by"
    ).order_by("verified", "professional__user__display_name")
    return render(
        request,
        "directory/organisation_members.html",
        {"organisation": organisation, "memberships": memberships},
    )


@login_required
@require_POST
def membership_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    organisation = access.administered_organisation(request.user, slug)
    membership = get_object_or_404(
        organisation.memberships.select_related("professional__user"), pk=pk
    )
    name = membership.professional.user.display_name
    try:
        if action == "approve":
            services.verify_membership(membership, by=request.user)
            messages.success(request, _("%(name)s is now a verified member.") % {"name": name})
        elif action == "remove":
            services.remove_membership(membership, by=request.user)
            messages.success(request, _("%(name)s has been removed.") % {"name": name})
        elif action in {"make-admin", "make-member"}:
            role = Membership.Role.ADMIN if action == "make-admin" else Membership.Role.MEMBER
            services.set_membership_role(membership, role, by=request.user)
            messages.success(request, _("The role of %(name)s has been changed.") % {"name": name})
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("directory:organisation_members", slug=organisation.slug)


@access.verified_required
def social_map(request: HttpRequest) -> HttpResponse:
    form = SocialMapForm(request.GET)
    if not form.is_valid():
        raise Http404  # a theme or neighbourhood that is not (or no longer) there
    theme, selected = form.cleaned_data["theme"], form.cleaned_data["neighbourhood"]
    organisations = Organisation.objects.order_by("name").prefetch_related("neighbourhoods")
    if selected:
        organisations = organisations.filter(neighbourhoods=selected)
    themes = ServiceTheme.objects.prefetch_related(
        Prefetch("organisations", organisations, "listed")
    )
    if theme:
        themes = themes.filter(pk=theme.pk)
    return render(
        request,
        "directory/social_map.html",
        {
            "form": form,
            "themes": themes,
            "chosen_theme": theme,
            "selected": selected,
            "overview": overview(list(Neighbourhood.objects.all()), theme, selected),
        },
    )
