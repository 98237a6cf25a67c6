from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from channels_app import access, services
from channels_app.forms import (
    ChannelForm,
    ChannelSettingsForm,
    DirectMessageForm,
    InviteForm,
    MessageForm,
    PushLevelForm,
    ReportForm,
)
from channels_app.models import (
    Attachment,
    Channel,
    Membership,
    MembershipRequest,
    Message,
    ModerationEntry,
    Notification,
    Reaction,
    Report,
)
from channels_app.notifications import mark_read as mark_notifications_read
from channels_app.search import MessageSearchForm, search_page
from core.chat import RateLimited
from core.files import ACCEPT, MAX_FILES, serve
from core.forms import add_errors
from core.rendering import render_markdown
from core.views import form_page, number_param, text_param
from directory.access import is_verified, refuse_unverified, verified_required

PAGE = 50


def _moderator_required(view):
    """Reports are for the channels' moderators (verified) and the platform's moderators."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (access.moderates_platform(request.user) or is_verified(request.user)):
            return refuse_unverified(request)
        return view(request, *args, **kwargs)

    return wrapper


def _my_channels(user: User):
    mentions = (
        services.unread_mentions(user, OuterRef("channel"), OuterRef("last_read_seq"))
        .values("message__channel")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # only direct conversations are named after their members: load no one else's
    others = (
        Membership.objects.filter(channel__kind=Channel.Kind.DIRECT)
        .select_related("user")
        .order_by("user__display_name")
    )
    return (
        Membership.objects.filter(user=user)
        .select_related("channel")
        .prefetch_related(Prefetch("channel__memberships", others, "members"))
        .annotate(
            unread=F("channel__last_seq") - F("last_read_seq"),
            mention_count=Coalesce(Subquery(mentions), 0),
        )
        .order_by(F("channel__last_message_at").desc(nulls_last=True), "channel__name")
    )


def _title(channel: Channel, user: User) -> str:
    if not channel.is_direct:
        return channel.name
    if not hasattr(channel, "members"):
        channel.members = list(channel.memberships.select_related("user"))
    names = [m.user.display_name for m in channel.members if m.user_id != user.pk]
    return ", ".join(names) or user.display_name


def _my_rooms(user: User) -> list[Membership]:
    """The person's channels and direct conversations, most recently active first, each with
    its title and its unread and mention counts."""
    memberships = list(_my_channels(user))
    for membership in memberships:
        membership.title = _title(membership.channel, user)
    return memberships


#: The header with which the live client asks for a room without the page around it.
FRAGMENT = "X-Wijk-Fragment"


def _page_or_part(
    request: HttpRequest, part: str, page: str, context: dict[str, Any]
) -> HttpResponse:
    """The ``page`` with the sidebar, or, when the live client asks for it with the header
    ``X-Wijk-Fragment: <part>``, the page's part alone (``includes/<part>.html``)."""
    if request.headers.get(FRAGMENT) == part:
        response = render(request, f"channels_app/includes/{part}.html", context)
        response[FRAGMENT] = part
    else:
        context.update(_sidebar(request.user))
        response = render(request, page, context)
    # a browser keeps the page and the part of one address apart
    patch_vary_headers(response, [FRAGMENT])
    return response


def _room_tools() -> dict[str, Any]:
    """What a room page's live tools and message box need (includes/room_tools.html,
    includes/composer.html)."""
    return {"reaction_choices": Reaction.CHOICES, "accept_files": ACCEPT}


def _pinned(channel: Channel):
    """The channel's pinned messages that are still there."""
    return channel.messages.filter(pinned_at__isnull=False, deleted_at=None)


def _sidebar(user: User) -> dict[str, Any]:
    """What the sidebar of the chat pages lists: the person's favourites and channels by name,
    conversations by activity."""
    memberships = _my_rooms(user)
    rest = [m for m in memberships if not m.favourite]
    return {
        "sidebar_favourites": sorted([m for m in memberships if m.favourite], key=_by_title),
        "sidebar_channels": sorted([m for m in rest if not m.channel.is_direct], key=_by_title),
        "sidebar_directs": [m for m in rest if m.channel.is_direct],
    }


def _by_title(membership: Membership) -> str:
    return membership.title.casefold()


#: How many rooms, channels and people the quick switcher lists of each
SWITCHER_LIMIT = 8


@verified_required
def switcher(request: HttpRequest) -> JsonResponse:
    """What the quick switcher (Ctrl+K) finds for ``q``: the person's own rooms (by activity),
    open channels they have not joined, and people to start a conversation with."""
    query = text_param(request, "q")
    rooms = _my_rooms(request.user)
    results: list[dict[str, Any]] = [
        {
            "kind": "direct" if m.channel.is_direct else m.channel.kind,
            "name": m.title,
            "url": reverse("channels_app:channel", args=[m.channel_id]),
            "unread": max(0, m.unread),
        }
        for m in rooms
        if query.casefold() in m.title.casefold()
    ][:SWITCHER_LIMIT]
    if query:
        joined = {m.channel_id for m in rooms}
        others = (
            Channel.objects.filter(kind=Channel.Kind.OPEN, archived_at=None, name__icontains=query)
            .exclude(pk__in=joined)
            .order_by("name")[:SWITCHER_LIMIT]
        )
        results += [
            {
                "kind": "join",
                "name": channel.name,
                "url": reverse("channels_app:channel", args=[channel.pk]),
            }
            for channel in others
        ]
        # people with whom the person has no conversation of two yet
        talking = {
            member.user_id
            for m in rooms
            if m.channel.is_direct and len(m.channel.members) == 2
            for member in m.channel.members
        }
        people = (
            User.objects.filter(
                is_active=True, professional__verified=True, display_name__icontains=query
            )
            .exclude(pk__in=talking | {request.user.pk})
            .select_related("professional")
            .order_by("display_name")[:SWITCHER_LIMIT]
        )
        results += [
            {
                "kind": "person",
                "name": person.display_name,
                "detail": person.professional.job_title,
                "start": reverse("channels_app:direct_with", args=[person.pk]),
            }
            for person in people
        ]
    return JsonResponse({"query": query, "results": results})


@verified_required
def people(request: HttpRequest, pk: int) -> JsonResponse:
    """Whom the message box's @ can name in a room: the other members matching ``q`` and, in a
    channel, @kanaal for everyone in it."""
    rights = access.readable_channel(request.user, pk)
    query = text_param(request, "q")
    members = (
        rights.channel.memberships.filter(user__is_active=True, user__display_name__icontains=query)
        .exclude(user=request.user)
        .select_related("user__professional")
        .order_by("user__display_name")[:SWITCHER_LIMIT]
    )
    results = [
        {
            "name": m.user.display_name,
            "detail": getattr(getattr(m.user, "professional", None), "job_title", ""),
        }
        for m in members
    ]
    if not rights.channel.is_direct and "kanaal".startswith(query.casefold()):
        results.insert(0, {"name": "kanaal", "detail": _("everyone in this channel")})
    return JsonResponse({"query": query, "results": results})


@verified_required
def index(request: HttpRequest) -> HttpResponse:
    if request.headers.get(FRAGMENT) == "sidebar":
        # the live client, when a room was added (a new conversation, an invitation accepted)
        response = render(request, "channels_app/includes/sidebar.html", _sidebar(request.user))
        response[FRAGMENT] = "sidebar"
        patch_vary_headers(response, [FRAGMENT])
        return response
    memberships = _my_rooms(request.user)
    joined = {m.channel_id for m in memberships}
    pending = set(
        MembershipRequest.objects.filter(
            user=request.user, status=MembershipRequest.Status.PENDING
        ).values_list("channel_id", "kind")
    )
    discover = (
        Channel.objects.filter(kind__in=[Channel.Kind.OPEN, Channel.Kind.CLOSED], archived_at=None)
        .exclude(pk__in=joined)
        .annotate(member_count=Count("memberships"))
        .order_by("name")
    )
    invitations = MembershipRequest.objects.filter(
        user=request.user,
        status=MembershipRequest.Status.PENDING,
        kind=MembershipRequest.Kind.INVITATION,
    ).select_related("channel", "created_by")
    return render(
        request,
        "channels_app/index.html",
        {
            "channels": [m for m in memberships if not m.channel.is_direct],
            "directs": [m for m in memberships if m.channel.is_direct],
            "discover": discover,
            "requested": {c for c, kind in pending if kind == MembershipRequest.Kind.REQUEST},
            "invitations": invitations,
        },
    )


@verified_required
def create(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.create_channel(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("channels_app:channel", channel.pk)
    return form_page(
        request,
        "channels_app/create.html",
        {"form": form},
    )


@verified_required
def direct(request: HttpRequest) -> HttpResponse:
    form = DirectMessageForm(request.POST or request.GET or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.direct_channel(by=request.user, others=form.cleaned_data["people"])
        except ValidationError as error:
            form.add_error("people", error)
        else:
            return redirect("channels_app:channel", channel.pk)
    return form_page(
        request,
        "channels_app/direct.html",
        {"form": form},
    )


@verified_required
@require_POST
def direct_with(request: HttpRequest, user_id: int) -> HttpResponse:
    """The "send message" button on a profile."""
    other = get_object_or_404(User, pk=user_id, is_active=True, professional__verified=True)
    if other.pk == request.user.pk:
        raise Http404
    channel = services.direct_channel(by=request.user, others=[other])
    if not request.accepts("text/html"):
        # the quick switcher, which opens the conversation in place
        return JsonResponse({"url": reverse("channels_app:channel", args=[channel.pk])})
    return redirect("channels_app:channel", channel.pk)


def _page_of_messages(channel: Channel, *, before: int | None, around: int | None):
    top_level = Message.objects.filter(channel=channel, parent__isnull=True)
    if around is not None:
        older = list(top_level.filter(seq__lte=around).order_by("-seq")[: PAGE // 2])
        newer = list(top_level.filter(seq__gt=around).order_by("seq")[: PAGE // 2])
        page = list(reversed(older)) + newer
    else:
        if before is not None:
            top_level = top_level.filter(seq__lt=before)
        page = list(reversed(top_level.order_by("-seq")[:PAGE]))
    has_older = bool(page) and top_level.filter(seq__lt=page[0].seq).exists()
    services.CHANNELS.with_contents(page, get_language())
    return page, has_older


def _first_unread(page: list[Message], has_older: bool, last_read: int) -> dict[str, Any]:
    """Where the reader's unread messages begin: the line above the first one on the page, and
    the address that shows it when it lies before the page."""
    unread = [message.seq for message in page if message.seq > last_read]
    if not unread:
        return {}
    context: dict[str, Any] = {"first_unread_seq": unread[0]}
    if has_older and page[0].seq > last_read + 1:
        context["first_unread_seq"] = None  # before the page: not on the screen
        context["unread_around"] = last_read + 1
    return context


@verified_required
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rights = access.visible_channel(request.user, pk)
    channel = rights.channel
    context = {"channel": channel, "rights": rights, "form": MessageForm(), **_room_tools()}
    if channel.is_direct:
        # a direct conversation is named after its (at most eight) other members
        channel.members = list(channel.memberships.select_related("user"))
        context["member_count"] = len(channel.members)
    else:
        context["member_count"] = channel.memberships.count()
    context["title"] = _title(channel, request.user)
    if rights.can_read:
        page, has_older = _page_of_messages(
            channel, before=number_param(request, "before"), around=number_param(request, "around")
        )
        context.update(
            messages_page=page,
            has_older=has_older,
            pinned_count=_pinned(channel).count(),
        )
        if rights.membership is not None and page:
            context.update(_first_unread(page, has_older, rights.membership.last_read_seq))
            services.mark_read(channel, user=request.user, seq=channel.last_seq)
    else:
        context["requested"] = MembershipRequest.objects.filter(
            channel=channel, user=request.user, status=MembershipRequest.Status.PENDING
        ).exists()
    # the live client switching rooms asks for the room alone, without the page around it
    return _page_or_part(request, "room", "channels_app/channel.html", context)


@verified_required
def thread(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    rights = access.readable_channel(request.user, pk)
    root = get_object_or_404(Message, pk=message_id, channel=rights.channel)
    if root.parent_id is not None:  # a reply: its thread is its parent's
        return redirect("channels_app:thread", pk, root.parent_id)
    replies = list(root.replies.order_by("seq"))
    services.CHANNELS.with_contents([root, *replies], get_language())
    # the live client opens a thread in a panel next to its channel, on the same page: its
    # ids carry a prefix there
    panel = request.headers.get(FRAGMENT) == "thread"
    context = {
        "channel": rights.channel,
        "rights": rights,
        "root": root,
        "replies": replies,
        "title": _title(rights.channel, request.user),
        "panel": panel,
        "form": MessageForm(
            initial={"parent": root.pk}, auto_id="thread-id_%s" if panel else "id_%s"
        ),
        **_room_tools(),
    }
    return _page_or_part(request, "thread", "channels_app/thread.html", context)


@verified_required
def permalink(request: HttpRequest, pk: int, seq: int) -> HttpResponse:
    rights = access.readable_channel(request.user, pk)
    message = get_object_or_404(Message, channel=rights.channel, seq=seq)
    if message.parent_id:
        url = reverse("channels_app:thread", args=[pk, message.parent_id])
    else:
        url = reverse("channels_app:channel", args=[pk]) + f"?around={seq}"
    return redirect(f"{url}#m-{seq}")


@verified_required
@require_POST
def post(request: HttpRequest, pk: int) -> HttpResponse:
    """Posting without JavaScript; the websocket ``send`` frame does the same."""
    rights = access.readable_channel(request.user, pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("channels_app:channel", pk)
    try:
        with transaction.atomic():
            uploads = request.FILES.getlist("files")
            if len(uploads) > MAX_FILES:
                raise ValidationError(_("At most %(n)d files per message.") % {"n": MAX_FILES})
            files = [
                services.upload_attachment(rights.channel, by=request.user, upload=upload).pk
                for upload in uploads
            ]
            message, _created = services.post_message(
                rights.channel.pk,
                author=request.user,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data.get("client_id"),
                parent_id=form.cleaned_data.get("parent"),
                attachment_ids=files,
            )
    except PermissionDenied:
        raise Http404 from None
    except RateLimited:
        messages.error(request, _("You are sending messages too fast. Wait a moment."))
        return redirect("channels_app:channel", pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("channels_app:channel", pk)
    return redirect("channels_app:permalink", pk, message.seq)


@verified_required
def edit(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """Editing one's own message: the page without JavaScript; the client asks for the text as
    JSON (its edit in place sends the ``edit`` frame)."""
    message, rights = access.readable_message(request.user, message_id)
    if (
        message.channel_id != pk
        or message.author_id != request.user.pk
        or message.is_deleted
        or not rights.can_post
    ):
        raise Http404
    if request.method == "GET" and not request.accepts("text/html"):
        return JsonResponse({"id": message.pk, "body": message.body})
    form = MessageForm(request.POST or None, initial={"body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_message(message, by=request.user, body=form.cleaned_data["body"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_error("body", error)
        else:
            return redirect("channels_app:permalink", pk, message.seq)
    return form_page(
        request,
        "channels_app/edit.html",
        {"channel": rights.channel, "message": message, "form": form},
    )


@verified_required
@require_POST
def message_action(request: HttpRequest, pk: int, message_id: int, action: str) -> HttpResponse:
    message, _rights = access.readable_message(request.user, message_id)
    if message.channel_id != pk:
        raise Http404
    try:
        if action == "delete":
            services.delete_message(message, by=request.user)
        elif action in {"pin", "unpin"}:
            services.pin_message(message, by=request.user, pinned=action == "pin")
        elif action == "react":
            services.toggle_reaction(message, by=request.user, emoji=request.POST.get("emoji"))
        else:
            raise Http404
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("channels_app:permalink", pk, message.seq)


@verified_required
@require_POST
def membership_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    rights = access.visible_channel(request.user, pk)
    channel = rights.channel
    try:
        if action == "join":
            services.join(channel, request.user)
            messages.success(request, _("You joined %(name)s.") % {"name": channel.name})
        elif action == "leave":
            services.leave(channel, request.user)
            messages.success(request, _("You left %(name)s.") % {"name": channel.name})
            return redirect("channels_app:index")
        elif action == "request":
            services.request_to_join(channel, request.user)
            messages.success(
                request, _("Your request has been sent to the channel's administrators.")
            )
        elif action == "archive":
            services.archive(channel, by=request.user, archived=True)
        elif action == "unarchive":
            services.archive(channel, by=request.user, archived=False)
        else:
            raise Http404
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("channels_app:channel", pk)


#: how many of a channel's files its details list, newest first
INFO_FILES = 50


@verified_required
def info(request: HttpRequest, pk: int) -> HttpResponse:
    """A room's details: its members, pinned messages and files. The live client opens it in
    the panel next to the room (X-Wijk-Fragment: info)."""
    rights = access.readable_channel(request.user, pk)
    channel = rights.channel
    members = list(
        channel.memberships.select_related("user__professional")
        .prefetch_related("user__professional__organisations")
        .order_by("user__display_name")
    )
    context = {
        "channel": channel,
        "rights": rights,
        "title": _title(channel, request.user),
        "members": members,
        "pinned": list(_pinned(channel).select_related("author").order_by("-pinned_at")),
        "files": list(
            channel.attachments.filter(message__isnull=False, message__deleted_at=None)
            .select_related("uploader", "message")
            .order_by("-created_at", "-pk")[:INFO_FILES]
        ),
    }
    context["panel"] = request.headers.get(FRAGMENT) == "info"
    if rights.membership is not None:
        # what of this room reaches the member's devices (channels_app.push_views.push_level)
        context["push_form"] = PushLevelForm(
            initial={"push": rights.membership.push},
            auto_id="info-push-%s" if context["panel"] else "push-%s",
        )
    return _page_or_part(request, "info", "channels_app/info.html", context)


@verified_required
@require_POST
def favourite(request: HttpRequest, pk: int) -> HttpResponse:
    """Star or unstar a room of one's own (favourite=1 or 0); the live client asks for JSON."""
    rights = access.visible_channel(request.user, pk)
    if rights.membership is None:
        raise Http404
    wants_json = not request.accepts("text/html")
    value = request.POST.get("favourite")
    if value not in ("0", "1"):
        error = _("Say whether this is a favourite: favourite=1 or favourite=0.")
        if wants_json:
            return JsonResponse({"error": error}, status=400)
        messages.error(request, error)
        return redirect("channels_app:channel", pk)
    services.set_favourite(rights.channel, request.user, favourite=value == "1")
    if wants_json:
        return JsonResponse({"favourite": value == "1"})
    return redirect("channels_app:channel", pk)


@verified_required
def members(request: HttpRequest, pk: int) -> HttpResponse:
    rights = access.visible_channel(request.user, pk)
    if not rights.can_read or rights.channel.is_direct:
        raise Http404
    channel = rights.channel
    invite_form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not rights.can_administer:
            raise Http404
        if invite_form.is_valid():
            try:
                services.invite(channel, by=request.user, user=invite_form.cleaned_data["user"])
            except ValidationError as error:
                invite_form.add_error("user", error)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("channels_app:members", pk)
    return form_page(
        request,
        "channels_app/members.html",
        {
            "channel": channel,
            "rights": rights,
            "members": channel.memberships.select_related("user").order_by("user__display_name"),
            "requests": channel.requests.filter(
                status=MembershipRequest.Status.PENDING, kind=MembershipRequest.Kind.REQUEST
            ).select_related("user")
            if rights.can_administer
            else [],
            "invite_form": invite_form,
            "roles": Membership.Role.choices,
        },
    )


@verified_required
@require_POST
def member_action(request: HttpRequest, pk: int, user_id: int, action: str) -> HttpResponse:
    rights = access.visible_channel(request.user, pk)
    user = get_object_or_404(User, pk=user_id)
    try:
        if action == "remove":
            services.remove_member(rights.channel, by=request.user, user=user)
        elif action in Membership.Role.values:
            services.set_role(rights.channel, by=request.user, user=user, role=action)
        else:
            raise Http404
    except (PermissionDenied, Membership.DoesNotExist):
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("channels_app:members", pk)


@verified_required
@require_POST
def decide_request(request: HttpRequest, request_id: int, decision: str) -> HttpResponse:
    membership_request = get_object_or_404(
        MembershipRequest.objects.select_related("channel"),
        pk=request_id,
        status=MembershipRequest.Status.PENDING,
    )
    if decision not in {"accept", "decline"}:
        raise Http404
    try:
        services.decide(membership_request, by=request.user, accept=decision == "accept")
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if membership_request.kind == MembershipRequest.Kind.INVITATION:
        if decision == "accept":
            return redirect("channels_app:channel", membership_request.channel_id)
        return redirect("channels_app:index")
    return redirect("channels_app:members", membership_request.channel_id)


@verified_required
def settings_view(request: HttpRequest, pk: int) -> HttpResponse:
    rights = access.visible_channel(request.user, pk)
    if not rights.can_administer or rights.channel.is_direct:
        raise Http404
    channel = rights.channel
    form = ChannelSettingsForm(
        request.POST or None,
        initial={
            "name": channel.name,
            "description": channel.description,
            "topic": channel.topic,
            "neighbourhoods": channel.neighbourhoods.all(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_channel(channel, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            channel.refresh_from_db()
        else:
            messages.success(request, _("The channel has been saved."))
            return redirect("channels_app:channel", pk)
    return form_page(
        request,
        "channels_app/settings.html",
        {"channel": channel, "form": form},
    )


@verified_required
def search(request: HttpRequest) -> HttpResponse:
    form = MessageSearchForm(request.GET or None, user=request.user)
    page = None
    if request.GET and form.is_valid():
        page = search_page(request.user, form.cleaned_data, request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "channels_app/search.html",
        {"form": form, "page": page, "query": query},
        status=400 if request.GET and not form.is_valid() else 200,
    )


@_moderator_required
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        mark_notifications_read(request.user)
        return redirect("channels_app:notifications")
    items = (
        Notification.objects.filter(user=request.user)
        .select_related("channel", "message", "actor")
        .order_by("-created_at")
    )
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "channels_app/notifications.html", {"page": page})


@_moderator_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    mark_notifications_read(request.user, [notification.pk])
    if notification.link:
        # set by the platform itself (``notify_elsewhere``), checked again all the same
        if url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
            return redirect(notification.link)
        return redirect("channels_app:notifications")
    if notification.kind == Notification.Kind.REPORT:
        reported = access.reports_for(request.user).filter(
            message_id=notification.message_id, reporter_id=notification.actor_id
        )
        if report := reported.first():
            return redirect("channels_app:report_detail", report.pk)
        return redirect("channels_app:reports")
    if notification.message_id:
        try:
            access.readable_channel(request.user, notification.channel_id)
        except Http404:
            return redirect("channels_app:notifications")
        return redirect("channels_app:permalink", notification.channel_id, notification.message.seq)
    if notification.kind == Notification.Kind.JOIN_REQUEST:
        return redirect("channels_app:members", notification.channel_id)
    return redirect("channels_app:index")


@verified_required
def report(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """Report a message to the moderators: a form (GET), then the report (POST)."""
    message, rights = access.readable_message(request.user, message_id)
    if message.channel_id != pk:
        raise Http404
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_message(message, by=request.user, reason=form.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you. The moderators have been told."))
            return redirect("channels_app:permalink", pk, message.seq)
    return render(
        request,
        "channels_app/report.html",
        {"message": message, "channel": message.channel, "rights": rights, "form": form,
         "title": _title(message.channel, request.user)},
        status=400 if form.errors else 200,
    )  # fmt: skip


@_moderator_required
def reports(request: HttpRequest) -> HttpResponse:
    """The reports the user handles, open ones first; what was reported shows only on a report's
    own page, where looking at it is logged."""
    handled = request.GET.get("status") == "handled"
    items = (
        access.reports_for(request.user)
        .filter(resolved_at__isnull=not handled)
        .select_related("message__channel", "reporter", "resolved_by")
        .order_by("-resolved_at" if handled else "created_at", "pk")
    )
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "channels_app/reports.html", {"page": page, "handled": handled})


@_moderator_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """One report: the reported message as it was reported, the reason, the log; close it or
    remove the message (after a confirmation that names the consequences)."""
    report = access.handled_report(request.user, report_id)
    confirm_removal = False
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome == Report.Outcome.REMOVED and request.POST.get("confirmed") != "1":
            confirm_removal = True
        else:
            try:
                services.resolve_report(report, by=request.user, outcome=outcome)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("The message has been removed.")
                    if outcome == Report.Outcome.REMOVED
                    else _("The report has been closed."),
                )
            return redirect("channels_app:report_detail", report.pk)
    else:
        services.log_moderation(report, by=request.user, action=ModerationEntry.Action.VIEWED)
    channel = report.message.channel
    return render(
        request,
        "channels_app/report_detail.html",
        {
            "report": report,
            "message": report.message,
            "body_html": render_markdown(report.body, chat=True),
            "place": channel.name if not channel.is_direct else _("a direct conversation"),
            "in_channel": access.access_for(request.user, channel).can_read,
            "other_reports": report.message.reports.exclude(pk=report.pk).count(),
            "log": report.log.all(),
            "confirm_removal": confirm_removal,
        },
    )


@verified_required
@require_POST
def upload(request: HttpRequest, pk: int) -> JsonResponse:
    """Upload one file for the next ``send`` frame; answers its id, or 400 with the reason."""
    try:
        rights = access.readable_channel(request.user, pk)
    except Http404:
        return JsonResponse({"error": _("This channel does not exist.")}, status=404)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": _("Choose a file.")}, status=400)
    try:
        attachment = services.upload_attachment(rights.channel, by=request.user, upload=upload)
    except PermissionDenied:
        return JsonResponse({"error": _("This channel does not exist.")}, status=404)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    url = reverse("channels_app:attachment", args=[pk, attachment.pk])
    return JsonResponse(
        {"id": attachment.pk, "name": attachment.name, "size": attachment.size, "url": url},
        status=201,
    )


@verified_required
@require_http_methods(["GET", "HEAD", "DELETE"])
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A shared file, for those who may read the message it belongs to; DELETE takes back a
    file its uploader has not sent yet (removed from the message box before sending)."""
    rights = access.readable_channel(request.user, pk)
    item = get_object_or_404(Attachment, pk=attachment_id, channel=rights.channel)
    if request.method == "DELETE":
        try:
            services.discard_upload(item, by=request.user)
        except PermissionDenied:
            raise Http404 from None
        return HttpResponse(status=204)
    if item.message_id is None and item.uploader_id != request.user.pk:
        raise Http404
    if item.message_id and item.message.deleted_at:
        raise Http404
    return serve(item)
