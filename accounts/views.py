from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import AcceptInvitationForm, InvitationForm
from accounts.models import Invitation, User


def _inviter(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.can_invite:
        raise Http404
    return user


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    inviter = _inviter(request)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite(
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                roles=form.cleaned_data["roles"],
                invited_by=inviter,
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field, message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:invitation_list")
    invitations = (
        Invitation.objects.select_related("invited_by", "user")
        .prefetch_related("roles")
        .order_by("-created_at")
    )
    page = Paginator(invitations, 25).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/invitation_list.html",
        {"form": form, "page": page, "invitation_valid_days": settings.INVITATION_VALID_DAYS},
        status=status,
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    inviter = _inviter(request)
    invitation = get_object_or_404(Invitation, pk=pk)
    services.revoke(invitation, by=inviter)
    messages.success(
        request, _("The invitation for %(email)s no longer works.") % {"email": invitation.email}
    )
    return redirect("accounts:invitation_list")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, _("You are already signed in."))
        return redirect("home")
    try:
        invitation = services.usable_invitation(token)
    except services.InvitationRefused as refusal:
        return render(
            request, "accounts/invitation_refused.html", {"reason": refusal.message}, status=410
        )
    form = AcceptInvitationForm(
        request.POST or None,
        email=invitation.email,
        initial={"display_name": invitation.display_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationRefused as refusal:
            return render(
                request, "accounts/invitation_refused.html", {"reason": refusal.message}, status=410
            )
        messages.success(
            request, _("Your account is ready. Sign in with your e-mail address and password.")
        )
        return redirect("account_login")
    return render(
        request,
        "accounts/accept_invitation.html",
        {"form": form, "invitation": invitation},
        status=400 if request.method == "POST" else 200,
    )
