"""Case-room pages. Every view goes through ``case_view``: the verified gate, the room check of
``privacy.access`` (404 for outsiders), two-factor authentication and a recent sign-in. Every
read of content writes an access-log entry; changes are logged by the services.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from allauth.account.internal.flows.reauthentication import suspend_request
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core.chat import RateLimited
from core.files import serve
from core.forms import add_errors
from core.views import form_page, number_param, text_param
from directory.access import is_verified, refuse_unverified
from privacy import access, audit, charts, policy, services, verification
from privacy.access import CaseAccess, Need
from privacy.forms import (
    AgreementForm,
    CaseRoomForm,
    ConsentForm,
    GoalForm,
    HealthRecordForm,
    InviteForm,
    LogFilterForm,
    MessageForm,
    StatusForm,
)
from privacy.models import (
    DIMENSIONS,
    AccessLogEntry,
    Agreement,
    CaseFile,
    CaseMember,
    CaseMessage,
    CaseRoom,
    Consent,
    Goal,
    HealthRecord,
)

PAGE = 50
LOG_PAGE = 50

Action = audit.Action


def _address(request: HttpRequest) -> str | None:
    return audit.client_address(request)


def _strong_access(request: HttpRequest) -> HttpResponse | None:
    """Two-factor authentication on, and a recent step with it; else where to go first."""
    if not access.has_mfa(request.user):
        messages.warning(
            request,
            _("Case rooms hold sensitive information about residents. Switch on two-factor "
              "authentication with an authenticator app first."),
        )  # fmt: skip
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
    if not access.signed_in_recently(request.session, request.user):
        # To allauth's second-factor step-up (a password alone is not enough), then back here;
        # allauth keeps a POST and replays it afterwards.
        return suspend_request(request, reverse("mfa_reauthenticate"))
    return None


def _gate(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    # A privacy officer need not be a professional: content pages then give a plain 404.
    allowed = is_verified(user) or access.is_privacy_officer(user)
    if not allowed:
        return refuse_unverified(request)
    return None


def case_view(need: str = Need.MEMBER) -> Callable:
    """Sign-in, the verified gate, the room (404 for outsiders), MFA and a recent sign-in."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = _gate(request)
            if refusal is not None:
                return refusal
            rights = access.room_for(request.user, pk, need, address=_address(request))
            refusal = _strong_access(request)
            if refusal is not None:
                return refusal
            return view(request, rights, *args, **kwargs)

        return wrapper

    return decorator


def _read(
    request: HttpRequest,
    rights: CaseAccess,
    object_type: str,
    object_id: Any = "",
    *,
    action: str = Action.READ,
    detail: str = "",
    purpose: str | None = None,
) -> None:
    audit.record(
        action=action,
        user=request.user,
        object_type=object_type,
        # reading a whole list (members, plan, ...) names the room the list belongs to
        object_id=object_id or rights.room.pk,
        room_id=rights.room.pk,
        role=rights.role,
        purpose=purpose or rights.purpose,
        address=_address(request),
        detail=detail,
    )


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# ---- index and new room ----------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """My case rooms; without two-factor authentication or a recent sign-in, how to get them."""
    refusal = _gate(request)
    if refusal is not None:
        return refusal
    context: dict[str, Any] = {
        "can_create": is_verified(request.user),
        "privacy_officer": access.is_privacy_officer(request.user),
        "needs_mfa": not access.has_mfa(request.user),
        "page": None,
    }
    context["needs_sign_in"] = not context["needs_mfa"] and not access.signed_in_recently(
        request.session, request.user
    )
    if context["needs_mfa"] or context["needs_sign_in"]:
        next_query = urlencode({"next": request.get_full_path()})
        context["enrol_url"] = f"{reverse('mfa_activate_totp')}?{next_query}"
        context["reauthenticate_url"] = f"{reverse('mfa_reauthenticate')}?{next_query}"
        return render(request, "privacy/index.html", context)
    memberships = (
        CaseMember.objects.filter(
            user=request.user, status__in=[CaseMember.Status.ACTIVE, CaseMember.Status.INVITED]
        )
        .select_related("room", "room__coordinator")
        .prefetch_related(Prefetch("room__consents", queryset=access.consents_newest_first()))
        .order_by("status", "-room__last_message_at", "-room__created_at")
    )
    for membership in memberships:
        membership.user = request.user  # one look-up of their organisations for all rooms
    # A member the consent no longer covers (suspended) is answered as anyone else: the room
    # is not in their list either. Someone is in a few dozen rooms at most.
    covered = [m for m in memberships if access.is_covered(m.room, m)]
    context["page"] = Paginator(covered, 25).get_page(request.GET.get("page"))
    for membership in context["page"].object_list:
        membership.consent_lapsed = (
            membership.status == CaseMember.Status.ACTIVE
            and membership.role != CaseMember.Role.COORDINATOR
            and access.consent_lapsed(membership.room)
        )
    if context["page"].object_list:
        audit.record(
            action=Action.READ,
            user=request.user,
            object_type="case_room_list",
            object_id=",".join(str(m.room_id) for m in context["page"].object_list)[:40],
            address=_address(request),
        )
    return render(request, "privacy/index.html", context)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not is_verified(request.user):
        return refuse_unverified(request)
    refusal = _strong_access(request)
    if refusal is not None:
        return refusal
    form = CaseRoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            room = services.create_room(
                by=request.user, address=_address(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("The case room is open. Record the resident's consent next.")
            )
            return redirect("privacy:consent", room.pk)
    return form_page(
        request,
        "privacy/create.html",
        {"form": form},
    )


# ---- the room ----------------------------------------------------------------------------------


def _members(room: CaseRoom):
    return (
        room.members.filter(status__in=[CaseMember.Status.ACTIVE, CaseMember.Status.INVITED])
        .select_related("user", "organisation")
        .order_by("status", "user__display_name")
    )


@case_view(Need.INVITED)
def room_detail(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    if not rights.is_member:
        return redirect("privacy:join", rights.room.pk)
    room = rights.room
    before = number_param(request, "before")
    messages_qs = (
        CaseMessage.objects.filter(room=room)
        .select_related("author__professional")
        .prefetch_related("files")
    )
    if before is not None:
        messages_qs = messages_qs.filter(seq__lt=before)
    page = list(reversed(messages_qs.order_by("-seq")[:PAGE]))
    has_older = bool(page) and page[0].seq > 1
    _read(request, rights, "case_message", f"{page[0].seq}-{page[-1].seq}" if page else "",
          detail="room page")  # fmt: skip
    if page:
        services.mark_read(rights, user=request.user, seq=room.last_seq)
    return render(
        request,
        "privacy/room.html",
        {
            "room": room,
            "rights": rights,
            "consent": access.current_consent(room),
            "members": _members(room),
            "messages_page": page,
            "has_older": has_older,
            "form": MessageForm(),
        },
    )


@case_view()
@require_POST
def post(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    """Posting without JavaScript, and the way to share a file; like the socket's ``send``."""
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("privacy:room", rights.room.pk)
    upload = form.cleaned_data.get("file")
    try:
        message, _created = services.post_message(
            rights.room.pk,
            author=request.user,
            body=form.cleaned_data["body"],
            client_id=form.cleaned_data.get("client_id"),
            uploads=[upload] if upload else [],
            address=_address(request),
        )
    except PermissionDenied:
        raise Http404 from None
    except RateLimited:
        messages.error(request, _("You are sending messages too fast. Wait a moment."))
    except ValidationError as error:
        _errors(request, error)
    else:
        return redirect(f"{reverse('privacy:room', args=[rights.room.pk])}#m-{message.seq}")
    return redirect("privacy:room", rights.room.pk)


@case_view()
def file_download(request: HttpRequest, rights: CaseAccess, file_id: int) -> FileResponse:
    item = get_object_or_404(CaseFile, pk=file_id, room=rights.room, message__isnull=False)
    _read(request, rights, "case_file", item.pk, action=Action.EXPORT, detail="download")
    return serve(item)


@case_view()
def search(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    query = text_param(request, "q")
    results = []
    if query:
        results = list(
            CaseMessage.objects.filter(room=rights.room, body__icontains=query)
            .select_related("author__professional")
            .prefetch_related("files")
            .order_by("-seq")[:PAGE]
        )
        # the query itself may be content: only its outcome is logged
        _read(request, rights, "case_message", action=Action.SEARCH,
              detail=f"{len(results)} results")  # fmt: skip
    return render(
        request,
        "privacy/search.html",
        {"room": rights.room, "rights": rights, "query": query, "results": results},
    )


# ---- members -----------------------------------------------------------------------------------


@case_view()
def members(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    if request.method == "POST" and not rights.is_coordinator:
        raise Http404
    form = InviteForm(request.POST or None, room=room) if rights.is_coordinator else None
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            try:
                services.invite(
                    room,
                    by=request.user,
                    user=form.cleaned_data["user"],
                    address=_address(request),
                )
            except ValidationError as error:
                form.add_error("user", error)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("privacy:members", room.pk)
        status = 400
    member_list = list(_members(room))
    # the coordinator's record: who was in the room, to invite again after new consent
    earlier = (
        list(
            room.members.filter(status=CaseMember.Status.REMOVED)
            .select_related("user", "organisation")
            .order_by("user__display_name")
        )
        if rights.is_coordinator
        else []
    )
    invitable = {user.pk for user, _organisation in form.choices} if form else set()
    for member in earlier:
        member.invitable = member.user_id in invitable
    _read(request, rights, "case_member", detail="member list")
    return render(
        request,
        "privacy/members.html",
        {
            "room": room,
            "rights": rights,
            "members": member_list,
            "earlier_members": earlier,
            "invite_form": form,
            "consent": access.current_consent(room),
        },
        status=status,
    )


# ---- confirmations of what cannot be undone ----------------------------------------------------
#
# Withdrawing consent, closing the room and removing a member each ask first, on a page of their
# own (no JavaScript needed) that names what will happen. The pages link there (GET); the page's
# form posts to the same address, which acts.


def _confirm(
    request: HttpRequest,
    rights: CaseAccess,
    *,
    heading: str,
    intro: str,
    consequences: list[dict[str, Any]],
    button: str,
    cancel: str,
) -> HttpResponse:
    return render(
        request,
        "privacy/confirm.html",
        {
            "room": rights.room,
            "rights": rights,
            "heading": heading,
            "intro": intro,
            "consequences": consequences,
            "button": button,
            "cancel_url": cancel,
        },
    )


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


def _ending(places: list[CaseMember]) -> list[dict[str, Any]]:
    """What ending these places means, as lines of a confirmation page."""
    members = [place for place in places if place.status == CaseMember.Status.ACTIVE]
    invited = [place for place in places if place.status == CaseMember.Status.INVITED]
    lines = []
    if members:
        lines.append({
            "text": _("These members lose access at once; pages of the room they have open "
                      "stop:"),
            "people": members,
        })  # fmt: skip
    if invited:
        lines.append({"text": _("These open invitations are revoked:"), "people": invited})
    return lines


@case_view(Need.COORDINATOR)
@require_http_methods(["GET", "POST"])
def remove_member(request: HttpRequest, rights: CaseAccess, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    if request.method == "GET":
        return _confirm_removal(request, rights, user)
    try:
        services.remove_member(rights.room, by=request.user, user=user, address=_address(request))
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request, _("%(name)s no longer has access to this room.") % {"name": user.display_name}
        )
    return redirect("privacy:members", rights.room.pk)


def _confirm_removal(request: HttpRequest, rights: CaseAccess, user: User) -> HttpResponse:
    membership = (
        rights.room.members.filter(
            user=user, status__in=[CaseMember.Status.ACTIVE, CaseMember.Status.INVITED]
        )
        .exclude(role=CaseMember.Role.COORDINATOR)
        .first()
    )
    if membership is None:
        messages.error(request, _("This person is not in the room."))
        return redirect("privacy:members", rights.room.pk)
    _read(request, rights, "case_member", user.pk, detail="removal confirmation")
    name = {"name": user.display_name}
    if membership.status == CaseMember.Status.INVITED:
        consequences = [{"text": _("The invitation of %(name)s is revoked.") % name}]
    else:
        consequences = [
            {"text": _("%(name)s loses access at once; pages of the room they have open "
                       "stop.") % name},
            {"text": _("What %(name)s wrote stays in the room.") % name},
        ]  # fmt: skip
    intro = _("You cannot undo this. You can invite %(name)s again later, as long as the "
              "consent covers their organisation.")  # fmt: skip
    return _confirm(
        request,
        rights,
        heading=_("Remove %(name)s from the case room?") % name,
        intro=intro % name,
        consequences=consequences,
        button=_("Yes, remove %(name)s") % name,
        cancel=reverse("privacy:members", args=[rights.room.pk]),
    )


@case_view(Need.INVITED)
def join(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    if rights.is_member:
        return redirect("privacy:room", rights.room.pk)
    if request.method == "POST":
        accept = request.POST.get("decision") == "accept"
        try:
            services.respond(
                rights.room, user=request.user, accept=accept, address=_address(request)
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            if accept:
                return redirect("privacy:room", rights.room.pk)
            messages.success(request, _("You declined the invitation."))
            return redirect("privacy:index")
    _read(request, rights, "case_room", detail="invitation page")
    return render(
        request,
        "privacy/join.html",
        {"room": rights.room, "membership": rights.membership},
    )


# ---- consent and settings ------------------------------------------------------------------------


@case_view()
def consent(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    form = ConsentForm(request.POST or None, initial={"given_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not rights.is_coordinator:
            raise Http404
        if form.is_valid():
            reopens = policy.consent_withdrawn(room)
            try:
                services.record_consent(room, by=request.user, address=_address(request),
                                        **form.cleaned_data)  # fmt: skip
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("The consent has been recorded."))
                if reopens:
                    messages.info(
                        request,
                        _("The room can be used again. Invite again whoever should take part: "
                          "the new consent decides who can."),
                    )  # fmt: skip
                return redirect("privacy:members", room.pk)
        status = 400
    consents = list(
        Consent.objects.filter(room=room)
        .select_related("recorded_by", "withdrawal_recorded_by")
        .prefetch_related("organisations")
    )
    _read(request, rights, "consent", detail="consent page")
    return render(
        request,
        "privacy/consent.html",
        {"room": room, "rights": rights, "consents": consents, "form": form},
        status=status,
    )


@case_view(Need.COORDINATOR)
@require_http_methods(["GET", "POST"])
def withdraw_consent(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    if request.method == "GET":
        return _confirm_withdrawal(request, rights)
    try:
        services.withdraw_consent(rights.room, by=request.user, address=_address(request))
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("Consent withdrawn. Only you can still read this room, and it takes no new "
              "content; its content is kept until the retention period ends."),
        )  # fmt: skip
    return redirect("privacy:consent", rights.room.pk)


def _confirm_withdrawal(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    consent = access.current_consent(room)
    if consent is None or consent.withdrawn_at is not None:
        messages.error(request, _("There is no consent to withdraw."))
        return redirect("privacy:consent", room.pk)
    _read(request, rights, "consent", consent.pk, detail="withdrawal confirmation")
    deleted_on = room.retention_until or timezone.now() + timedelta(days=room.retention_days)
    consequences = [
        {"text": _("The room takes no new messages, files, plan changes or Positieve "
                   "Gezondheid conversations from now on.")},
        *_ending(services.preview_withdrawal(room)),
        {"text": _("You keep read-only access as coordinator. The record of the consent and its "
                   "withdrawal, the members and the access log stay with you, so that you can "
                   "answer the resident's request for access or erasure.")},
        {"text": _("The content is deleted on %(date)s, when the retention period ends, or "
                   "earlier if the resident asks for erasure.") % {"date": _day(deleted_on)}},
        {"text": _("If the resident gives consent again, record it on this room's consent "
                   "page: the room can then be used again, and you invite the members "
                   "again.")},
    ]  # fmt: skip
    intro = _("Only do this when the resident, or whoever gave consent for them, has withdrawn "
              "it. You cannot undo it.")  # fmt: skip
    return _confirm(
        request,
        rights,
        heading=_("Record the withdrawal of consent?"),
        intro=intro,
        consequences=consequences,
        button=_("Yes, record the withdrawal"),
        cancel=reverse("privacy:consent", args=[room.pk]),
    )


@case_view(Need.COORDINATOR)
def settings_view(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    form = CaseRoomForm(
        request.POST or None,
        initial={"pseudonym": room.pseudonym, "purpose": room.purpose,
                 "legal_ground": room.legal_ground},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.update_room(room, by=request.user, address=_address(request),
                                 **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The case room has been saved."))
            return redirect("privacy:room", room.pk)
    _read(request, rights, "case_room", detail="settings page")
    return form_page(
        request,
        "privacy/settings.html",
        {"room": room, "rights": rights, "form": form},
    )


@case_view(Need.COORDINATOR)
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    if request.method == "GET":
        return _confirm_closing(request, rights)
    services.close_room(rights.room, by=request.user, address=_address(request))
    messages.success(request, _("The case room is closed. Its content is kept until the "
                                "retention period ends."))  # fmt: skip
    return redirect("privacy:room", rights.room.pk)


def _confirm_closing(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    if room.status == CaseRoom.Status.CLOSED:
        return redirect("privacy:room", room.pk)
    _read(request, rights, "case_room", detail="closing confirmation")
    deleted_on = room.retention_until or timezone.now() + timedelta(days=room.retention_days)
    ending = services.preview_closing(room)
    consequences = [
        {"text": _("Nobody can add anything to the room any more.")},
        *_ending(ending),
    ]
    if any(place.status == CaseMember.Status.ACTIVE for place in ending):
        consequences.append({"text": _("Agree beforehand that every member has recorded what "
                                       "they need in their own file: the room is not a "
                                       "record.")})  # fmt: skip
    consequences.append({"text": _("You keep read-only access as coordinator until the content "
                                   "is deleted on %(date)s. The access log is kept.")
                         % {"date": _day(deleted_on)}})  # fmt: skip
    intro = _("Close the room when the work is done. You cannot undo this: a closed room does "
              "not open again, not even with new consent.")  # fmt: skip
    return _confirm(
        request,
        rights,
        heading=_("Close the case room?"),
        intro=intro,
        consequences=consequences,
        button=_("Yes, close the case room"),
        cancel=reverse("privacy:settings", args=[room.pk]),
    )


# ---- plan ----------------------------------------------------------------------------------------


@case_view()
def plan(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    goal_form = GoalForm(request.POST if request.POST.get("form") == "goal" else None)
    agreement_form = AgreementForm(
        request.POST if request.POST.get("form") == "agreement" else None, room=room
    )
    status = 200
    if request.method == "POST":
        adding = [
            (goal_form, services.add_goal, _("The goal has been added.")),
            (agreement_form, services.add_agreement, _("The agreement has been added.")),
        ]
        for form, add, done in adding:
            if not (form.is_bound and form.is_valid()):
                continue
            try:
                add(room, by=request.user, address=_address(request), **form.cleaned_data)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, done)
                return redirect("privacy:plan", room.pk)
        status = 400
    goals = list(
        Goal.objects.filter(room=room).prefetch_related(
            Prefetch("agreements", Agreement.objects.select_related("owner"))
        )
    )
    loose = list(Agreement.objects.filter(room=room, goal=None).select_related("owner"))
    _read(request, rights, "plan", detail="plan page")
    return render(
        request,
        "privacy/plan.html",
        {
            "room": room,
            "rights": rights,
            "goals": goals,
            "loose_agreements": loose,
            "goal_form": goal_form,
            "agreement_form": agreement_form,
            "status_form": StatusForm(),
        },
        status=status,
    )


@case_view()
@require_POST
def plan_status(request: HttpRequest, rights: CaseAccess, kind: str, item_id: int) -> HttpResponse:
    item = _plan_item(rights, kind, item_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_plan_status(item, by=request.user, status=form.cleaned_data["status"],
                                     address=_address(request))  # fmt: skip
        except ValidationError as error:
            _errors(request, error)
    return redirect("privacy:plan", rights.room.pk)


PLAN_ITEMS: dict[str, type[Goal] | type[Agreement]] = {"goal": Goal, "agreement": Agreement}


def _plan_item(rights: CaseAccess, kind: str, item_id: int) -> Goal | Agreement:
    model = PLAN_ITEMS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model.objects.select_related("room"), pk=item_id, room=rights.room)


def _plan_url(item: Goal | Agreement) -> str:
    anchor = f"goal-{item.pk}" if isinstance(item, Goal) else f"agreement-{item.pk}"
    return f"{reverse('privacy:plan', args=[item.room_id])}#{anchor}"


def _plan_closed(request: HttpRequest, rights: CaseAccess) -> HttpResponse | None:
    """Members read the plan of a room that takes no new content, and change nothing in it."""
    if rights.can_write:
        return None
    messages.error(request, _("This case room takes no new content: it is closed, or the "
                              "consent has been withdrawn or has expired."))  # fmt: skip
    return redirect("privacy:plan", rights.room.pk)


@case_view()
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, rights: CaseAccess, kind: str, item_id: int) -> HttpResponse:
    """Change a goal or an agreement: the form it was added with, filled in."""
    item = _plan_item(rights, kind, item_id)
    refusal = _plan_closed(request, rights)
    if refusal is not None:
        return refusal
    data = request.POST if request.method == "POST" else None
    form: GoalForm | AgreementForm
    if isinstance(item, Goal):
        form = GoalForm(data, initial={"title": item.title, "description": item.description})
    else:
        form = AgreementForm(
            data,
            room=rights.room,
            owner_before=item.owner,
            initial={"description": item.description, "owner": item.owner_id,
                     "due_date": item.due_date, "goal": item.goal_id},
        )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        update = services.update_goal if isinstance(item, Goal) else services.update_agreement
        try:
            update(item, by=request.user, address=_address(request), **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect(_plan_url(item))
    # (also when a refused change shows the form again: it shows the plan's goals)
    _read(request, rights, kind, item.pk, detail="edit form")
    return form_page(
        request,
        "privacy/plan_edit.html",
        {"room": rights.room, "rights": rights, "item": item, "kind": kind, "form": form},
    )


@case_view()
@require_http_methods(["GET", "POST"])
def plan_remove(request: HttpRequest, rights: CaseAccess, kind: str, item_id: int) -> HttpResponse:
    """Take a goal or an agreement out of the plan, after a page that says what that means."""
    item = _plan_item(rights, kind, item_id)
    refusal = _plan_closed(request, rights)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        try:
            services.remove_plan_item(item, by=request.user, address=_address(request))
        except ValidationError as error:  # the room stopped taking changes meanwhile
            _errors(request, error)
        else:
            messages.success(request, _("It has been removed from the plan."))
        return redirect("privacy:plan", rights.room.pk)
    _read(request, rights, kind, item.pk, detail="removal confirmation")
    if isinstance(item, Goal):
        name = {"name": item.title}
        heading = _("Remove the goal “%(name)s”?") % name
        consequences = [{"text": _("The goal is removed from the plan for every member.")}]
        if item.agreements.exists():
            consequences.append({"text": _("Its agreements stay in the plan, under “Other "
                                           "agreements”.")})  # fmt: skip
    else:
        name = {"name": item.description}
        heading = _("Remove the agreement “%(name)s”?") % name
        consequences = [{"text": _("The agreement is removed from the plan for every member.")}]
    consequences.append({"text": _("The access log records who removed it and when.")})
    return _confirm(
        request,
        rights,
        heading=heading,
        intro=_("You cannot undo this. If the plan still needs it, change it instead."),
        consequences=consequences,
        button=_("Yes, remove it"),
        cancel=_plan_url(item),
    )


# ---- Positieve Gezondheid ----------------------------------------------------------------------


@case_view()
def health(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    room = rights.room
    form = HealthRecordForm(request.POST or None, initial={"conversation_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_health_record(
                    room,
                    by=request.user,
                    conversation_on=form.cleaned_data["conversation_on"],
                    scores=form.scores,
                    talk=form.talk,
                    note=form.cleaned_data["note"],
                    address=_address(request),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("The conversation has been recorded."))
                return redirect("privacy:health", room.pk)
        status = 400
    records = list(HealthRecord.objects.filter(room=room).select_related("recorded_by"))
    _read(request, rights, "health_record", detail=f"{len(records)} records")
    latest = records[-1] if records else None
    return render(
        request,
        "privacy/health.html",
        {
            "room": room,
            "rights": rights,
            "records": records,
            "latest": latest,
            "previous": records[-2] if len(records) > 1 else None,
            "chart": charts.radar(records) if records else None,
            "trend": charts.trend(records),
            "dimensions": DIMENSIONS,
            "history": [
                {"label": label, "scores": [getattr(r, key) for r in records]}
                for key, label in DIMENSIONS
            ],
            "form": form,
        },
        status=status,
    )


# ---- access log ----------------------------------------------------------------------------------


def _log_page(request: HttpRequest, entries, form: LogFilterForm):
    if form.is_valid():
        entries = form.filter(entries)
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return Paginator(entries.order_by("-pk"), LOG_PAGE).get_page(request.GET.get("page")), query


@case_view(Need.LOG)
def room_log(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    del form.fields["room"]
    page, query = _log_page(
        request, AccessLogEntry.objects.filter(room_id_ref=rights.room.pk), form
    )
    _read(request, rights, "access_log", rights.room.pk, detail="room log")
    return render(
        request,
        "privacy/log.html",
        {"room": rights.room, "rights": rights, "form": form, "page": page, "query": query},
    )


@login_required
def all_logs(request: HttpRequest) -> HttpResponse:
    """Every access log entry, for the privacy officer (who sees no content)."""
    if not access.is_privacy_officer(request.user):
        raise Http404
    refusal = _strong_access(request)
    if refusal is not None:
        return refusal
    form = LogFilterForm(request.GET or None)
    page, query = _log_page(request, AccessLogEntry.objects.all(), form)
    audit.record(
        action=Action.READ,
        user=request.user,
        object_type="access_log",
        role=access.ROLE_PRIVACY_OFFICER,
        purpose=audit.Purpose.SUPERVISION,
        address=_address(request),
        detail="all logs",
    )
    return render(
        request,
        "privacy/log.html",
        {"room": None, "rights": None, "form": form, "page": page, "query": query},
    )


@login_required
@require_POST
def verify_log(request: HttpRequest) -> HttpResponse:
    """Start a verification of the whole access log; its outcome shows on the log page."""
    if not access.is_privacy_officer(request.user):
        raise Http404
    refusal = _strong_access(request)
    if refusal is not None:
        return refusal
    audit.record(
        action=Action.READ,
        user=request.user,
        object_type="access_log",
        role=access.ROLE_PRIVACY_OFFICER,
        purpose=audit.Purpose.SUPERVISION,
        address=_address(request),
        detail="verification",
    )
    _run, started = verification.start(request.user)
    if not started:
        messages.info(request, _("A verification of the access log is already running."))
    else:
        messages.success(
            request,
            _("The verification of the access log has started. Reload the page for its outcome."),
        )
    return redirect("privacy:all_logs")


def _report_entries(room: CaseRoom):
    """Who looked at what, when: successful accesses by people (not the system)."""
    return AccessLogEntry.objects.filter(
        room_id_ref=room.pk, outcome=AccessLogEntry.Outcome.SUCCESS, user_id_ref__isnull=False
    ).order_by("occurred_at", "pk")


@case_view(Need.LOG)
def access_report(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    """The resident's access report: prints cleanly, one row per access."""
    entries = list(_report_entries(rights.room))
    _read(request, rights, "access_report", rights.room.pk, action=Action.EXPORT,
          purpose=audit.Purpose.SUBJECT_ACCESS, detail="html")  # fmt: skip
    return render(
        request,
        "privacy/report.html",
        {"room": rights.room, "rights": rights, "entries": entries, "now": timezone.now()},
    )


@case_view(Need.LOG)
def access_report_csv(request: HttpRequest, rights: CaseAccess) -> HttpResponse:
    _read(request, rights, "access_report", rights.room.pk, action=Action.EXPORT,
          purpose=audit.Purpose.SUBJECT_ACCESS, detail="csv")  # fmt: skip
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="inzage-casusruimte-{rights.room.pk}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    response.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Date and time"), _("User"), _("Role"), _("Action"), _("What"),
                     _("Purpose of use"), _("Event id")])  # fmt: skip
    labels = dict(AccessLogEntry.Action.choices)
    for entry in _report_entries(rights.room):
        writer.writerow([
            timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
            _csv_safe(entry.user_name),
            str(access.ROLE_LABELS.get(entry.role, entry.role)),
            str(labels.get(entry.action, entry.action)),
            object_label(entry.object_type),
            purpose_label(entry.purpose),
            str(entry.event_id),
        ])  # fmt: skip
    return response


def _csv_safe(value: str) -> str:
    # a cell starting with =, +, - or @ would be a formula in a spreadsheet
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


OBJECT_LABELS = {
    "case_room": gettext_lazy("case room"),
    "case_room_list": gettext_lazy("list of case rooms"),
    "case_message": gettext_lazy("messages"),
    "case_file": gettext_lazy("file"),
    "case_member": gettext_lazy("members"),
    "consent": gettext_lazy("consent"),
    "plan": gettext_lazy("plan"),
    "goal": gettext_lazy("goal in the plan"),
    "agreement": gettext_lazy("agreement in the plan"),
    "health_record": gettext_lazy("Positieve Gezondheid"),
    "access_log": gettext_lazy("access log"),
    "access_report": gettext_lazy("access report"),
}


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))


def purpose_label(purpose: str) -> str:
    labels = {
        audit.Purpose.CARE: gettext_lazy("care and support coordination"),
        audit.Purpose.SUPERVISION: gettext_lazy("supervision by the privacy officer"),
        audit.Purpose.SUBJECT_ACCESS: gettext_lazy("resident's access request"),
        audit.Purpose.RETENTION: gettext_lazy("retention period ended"),
        audit.Purpose.ERASURE: gettext_lazy("erasure at the resident's request"),
        audit.Purpose.REFUSED: gettext_lazy("attempt without access (refused)"),
    }
    return str(labels.get(purpose, purpose))
