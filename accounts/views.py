from __future__ import annotations

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import AcceptInvitationForm, ConfirmSecondFactorRemovalForm, InvitationForm
from accounts.models import Invitation, User
from core.forms import add_errors
from core.views import form_page


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
            )
        except ValidationError as error:
            add_errors(form, error)
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
    return form_page(
        request,
        "accounts/accept_invitation.html",
        {"form": form, "invitation": invitation},
    )


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def confirm_second_factor_removal(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed when an administrator asks to remove someone's lost second factor.

    It works without signing in (whoever lost their phone cannot finish signing in), asks for
    the account's password besides the link, removes the second factor only on a POST, and
    signs nobody in.
    """
    try:
        removal = services.removal_for_token(token)
    except services.RemovalRefused as refusal:
        return render(
            request,
            "accounts/second_factor_removal_refused.html",
            {"reason": refusal.message},
            status=410,
        )
    form = ConfirmSecondFactorRemovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same limit as failed sign-ins: the password must not be guessable here.
        if not ratelimit.consume(
            request, action="login_failed", key=f"second-factor-removal:{removal.user_id}"
        ):
            form.add_error(None, _("Too many attempts. Wait a few minutes and try again."))
            return render(
                request,
                "accounts/second_factor_removal_confirm.html",
                {"form": form, "removal": removal},
                status=429,
            )
        try:
            services.confirm_second_factor_removal(
                token, password=form.cleaned_data["password"], request=request
            )
        except services.RemovalRefused as refusal:
            form.add_error("password", refusal.message)
        else:
            return render(request, "accounts/second_factor_removal_done.html")
    return form_page(
        request,
        "accounts/second_factor_removal_confirm.html",
        {"form": form, "removal": removal},
    )
