"""The pages and endpoints of push notifications: the settings page (this device, the list of
one's devices, quiet hours, what a push may show), the browser's subscription, and a channel's
push level. One's own devices only: someone else's is not found (404)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from channels_app import access, push
from channels_app.forms import PushLevelForm, PushPreferencesForm
from channels_app.models import Membership, PushLevel, PushSubscription
from core.views import form_page
from directory.access import verified_required


@verified_required
@require_http_methods(["GET", "POST"])
def push_settings(request: HttpRequest) -> HttpResponse:
    preferences = push.preferences_of(request.user)
    form = PushPreferencesForm(request.POST or None, instance=preferences)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings for push notifications are saved."))
        return redirect("channels_app:push_settings")
    context = {
        "form": form,
        "devices": PushSubscription.objects.filter(user=request.user),
        "this_session": push.session_hash(request.session.session_key),
        "vapid_public_key": settings.VAPID_PUBLIC_KEY if push.enabled() else "",
        "muted": Membership.objects.filter(user=request.user)
        .exclude(push=PushLevel.ALL)
        .select_related("channel")
        .order_by("channel__name"),
    }
    return form_page(request, "channels_app/push_settings.html", context)


def _bad(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _key(value: Any, length: int) -> bool:
    if not isinstance(value, str) or len(value) > 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == length and (length != 65 or raw[0] == 4)


@verified_required
@require_http_methods(["POST", "DELETE"])
def push_devices(request: HttpRequest) -> HttpResponse:
    """The browser's subscription, as ``PushSubscription.toJSON()`` gives it: POST stores it for
    this device, DELETE (``{"endpoint": …}``) forgets it when push is turned off here."""
    if not push.enabled():
        return _bad(_("Push notifications are not set up on this platform."))
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _bad(_("Send the subscription as JSON."))
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if (
        not isinstance(endpoint, str)
        or not endpoint
        or len(endpoint) > 1000
        or not endpoint.isprintable()  # an address has no control characters (NUL: a 500)
    ):
        return _bad(_("The subscription has no address."))
    if request.method == "DELETE":
        deleted, _counts = PushSubscription.objects.filter(
            user=request.user, endpoint=endpoint
        ).delete()
        if not deleted:
            raise Http404
        return HttpResponse(status=204)
    keys = data.get("keys")
    if not push.allowed_endpoint(endpoint):
        return _bad(_("This browser's push service is not one the platform sends to."))
    if not isinstance(keys, dict) or not (
        _key(keys.get("p256dh"), 65) and _key(keys.get("auth"), 16)
    ):
        return _bad(_("The subscription's keys are missing or not valid."))
    subscription = push.subscribe(
        request.user,
        endpoint=endpoint,
        p256dh=keys["p256dh"],
        auth=keys["auth"],
        user_agent=request.headers.get("User-Agent", ""),
        session_key=request.session.session_key or "",
    )
    return JsonResponse({"id": subscription.pk, "label": subscription.label}, status=201)


@verified_required
@require_POST
def push_device(request: HttpRequest, device_id: int, action: str) -> HttpResponse:
    """Turn one of one's devices off or on, or remove it."""
    device = get_object_or_404(PushSubscription, pk=device_id, user=request.user)
    if action == "remove":
        device.delete()
        messages.success(request, _("The device is removed: it gets no more push notifications."))
    elif action in ("on", "off"):
        device.enabled = action == "on"
        device.save(update_fields=["enabled"])
    else:
        raise Http404
    return redirect("channels_app:push_settings")


@verified_required
@require_POST
def push_level(request: HttpRequest, pk: int) -> HttpResponse:
    """What of a channel reaches the member's devices: everything, mentions only, nothing."""
    rights = access.visible_channel(request.user, pk)
    if rights.membership is None:
        raise Http404
    form = PushLevelForm(request.POST)
    wants_json = not request.accepts("text/html")
    if not form.is_valid():
        error = _("Choose what of this channel reaches your devices.")
        if wants_json:
            return JsonResponse({"error": error}, status=400)
        messages.error(request, error)
    else:
        Membership.objects.filter(pk=rights.membership.pk).update(push=form.cleaned_data["push"])
        if wants_json:
            return JsonResponse({"push": form.cleaned_data["push"]})
        messages.success(request, _("Saved: %(choice)s.") % {
            "choice": PushLevel(form.cleaned_data["push"]).label
        })  # fmt: skip
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(reverse("channels_app:info", args=[pk]))
