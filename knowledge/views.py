from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.chat import RateLimited
from core.files import serve
from core.forms import add_errors
from core.links import absolute_url
from core.pagination import LookaheadPaginator
from core.views import form_page
from directory.access import verified_required
from knowledge import access, content, ical, services
from knowledge.forms import (
    ArticleForm,
    ArticleSearchForm,
    AttachmentForm,
    CommentForm,
    SessionForm,
    ShareForm,
)
from knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleRead,
    Bookmark,
    CalendarFeed,
    Comment,
    LearningSession,
    Registration,
    Revision,
    SessionMaterial,
    Theme,
    UsefulMark,
)
from knowledge.search import add_snippets, listed, name_page, search_articles

PAGE = 20


def _not_found_on_denied(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refused action looks exactly like a missing object."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            raise Http404 from None

    return wrapper


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _upcoming_sessions():
    confirmed = Count("registrations", filter=Q(registrations__status="confirmed"))
    return (
        LearningSession.objects.filter(ends_at__gt=timezone.now(), cancelled_at=None)
        .annotate(confirmed_count=confirmed)
        .prefetch_related("trainers", "themes")
        .order_by("starts_at", "pk")
    )


# ---- articles ------------------------------------------------------------------------------


@verified_required
def index(request: HttpRequest) -> HttpResponse:
    form = ArticleSearchForm(request.GET or None)
    valid = not request.GET or form.is_valid()
    page = None
    if valid:
        data = form.cleaned_data if request.GET else {}
        articles = listed(search_articles(request.user, data))
        page = LookaheadPaginator(articles, PAGE).get_page(request.GET.get("page"))
        name_page(page)
        add_snippets(page, data)
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    searching = bool(request.GET.get("q") or request.GET.get("theme") or request.GET.get("tag"))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "searching": searching,
        "themes": Theme.objects.all(),
        "sessions": _upcoming_sessions()[:4],
        "is_trainer": access.is_trainer(request.user),
    }
    if context["is_trainer"]:
        context["drafts"] = Article.objects.filter(
            authors=request.user, status=Article.Status.DRAFT
        ).order_by("-updated_at")[:10]
    return render(request, "knowledge/index.html", context, status=200 if valid else 400)


def _editor(request: HttpRequest, article: Article | None) -> HttpResponse:
    form = ArticleForm(
        request.POST or None, request.FILES or None, user=request.user, article=article
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            draft = Article(pk=article.pk if article else None, body=form.cleaned_data["body"])
            files = list(article.attachments.all()) if article else []
            preview = {
                "title": form.cleaned_data["title"],
                "summary": form.cleaned_data["summary"],
                "html": content.article_html(draft, files),
                "minutes": Article.minutes_to_read(form.cleaned_data["body"]),
            }
        else:
            try:
                saved = services.save_article(
                    article,
                    by=request.user,
                    data=form.cleaned_data,
                    cover=form.cleaned_data.get("cover_upload"),
                    remove_cover=form.cleaned_data.get("remove_cover", False),
                )
            except ValidationError as error:
                add_errors(form, error, "cover_upload")
            else:
                messages.success(request, _("The article has been saved."))
                return redirect("knowledge:article", saved.pk)
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    if status == 200 and form.errors:
        status = 400
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": article, "preview": preview},
        status=status,
    )


@verified_required
def article_new(request: HttpRequest) -> HttpResponse:
    if not access.is_trainer(request.user):
        raise Http404
    return _editor(request, None)


@verified_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _editor(request, access.editable_article(request.user, pk))


@verified_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.readable_article(request.user, pk)
    if article.status == Article.Status.PUBLISHED:
        ArticleRead.objects.bulk_create(
            [ArticleRead(article=article, user=request.user)], ignore_conflicts=True
        )
    attachments = list(article.attachments.all())
    visible_comments = Comment.objects.select_related("author")
    if not access.may_moderate(request.user, article):
        visible_comments = visible_comments.filter(hidden_at=None)
    comments = (
        visible_comments.filter(article=article, parent=None)
        .prefetch_related(Prefetch("replies", visible_comments, "visible_replies"))
        .order_by("created_at", "pk")
    )
    comments = list(comments)
    marked = set(
        UsefulMark.objects.filter(user=request.user, comment__article=article).values_list(
            "comment_id", flat=True
        )
    )
    related = (
        access.readable_articles(request.user)
        .exclude(pk=article.pk)
        .filter(Q(themes__in=article.themes.all()) | Q(tags__in=article.tags.all()))
        .annotate(shared=Count("pk"))
        .order_by("-shared", "-published_at")[:3]
    )
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "body_html": content.article_html(article, attachments),
            "attachments": attachments,
            "comments": comments,
            "marked": marked,
            "related": related,
            "bookmarked": Bookmark.objects.filter(article=article, user=request.user).exists(),
            "can_edit": access.may_edit(request.user, article),
            "can_moderate": access.may_moderate(request.user, article),
            "comment_form": CommentForm(),
            "attachment_form": AttachmentForm(),
            "share_form": ShareForm(user=request.user, article=article),
            "sessions": article.sessions.filter(ends_at__gt=timezone.now(), cancelled_at=None),
        },
    )


@verified_required
@require_POST
@_not_found_on_denied
def article_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    article = access.editable_article(request.user, pk)
    if action == "publish":
        services.set_published(article, by=request.user, published=True)
        messages.success(request, _("The article has been published."))
    elif action == "unpublish":
        services.set_published(article, by=request.user, published=False)
        messages.success(request, _("The article is a draft again."))
    elif action == "delete":
        services.delete_article(article, by=request.user)
        messages.success(request, _("The article has been deleted."))
        return redirect("knowledge:index")
    else:
        raise Http404
    return redirect("knowledge:article", article.pk)


def _serve(item: Any, *, inline_images: bool = False) -> FileResponse:
    return serve(item, inline=inline_images and item.is_image)


@verified_required
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    article = access.readable_article(request.user, pk)
    item = get_object_or_404(ArticleAttachment, pk=attachment_id, article=article)
    return _serve(item, inline_images=True)


@verified_required
def cover(request: HttpRequest, pk: int) -> FileResponse:
    article = access.readable_article(request.user, pk)
    if not article.cover:
        raise Http404
    response = FileResponse(article.cover.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@verified_required
@require_POST
@_not_found_on_denied
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.editable_article(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
    else:
        try:
            item = services.add_attachment(
                article, by=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": item.name})
    return redirect(reverse("knowledge:article", args=[article.pk]) + "#files")


@verified_required
@require_POST
@_not_found_on_denied
def attachment_delete(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    article = access.editable_article(request.user, pk)
    item = get_object_or_404(ArticleAttachment, pk=attachment_id, article=article)
    services.remove_attachment(item, by=request.user)
    messages.success(request, _("The file has been removed."))
    return redirect(reverse("knowledge:article", args=[article.pk]) + "#files")


@verified_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.editable_article(request.user, pk)
    revisions = article.revisions.select_related("created_by", "restored_from")
    return render(request, "knowledge/history.html", {"article": article, "revisions": revisions})


@verified_required
def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    article = access.editable_article(request.user, pk)
    revision = get_object_or_404(
        Revision.objects.select_related("created_by"), article=article, number=number
    )
    previous = article.revisions.filter(number__lt=number).order_by("-number").first()
    compare_to = request.GET.get("compare")
    if compare_to == "current":
        old, new, against = revision, article, "current"
    else:
        old, new, against = (
            previous or Revision(title="", summary="", body=""),
            revision,
            "previous",
        )
    return render(
        request,
        "knowledge/revision.html",
        {
            "article": article,
            "revision": revision,
            "previous": previous,
            "against": against,
            "diffs": content.diff_revisions(old, new),
        },
    )


@verified_required
@require_POST
@_not_found_on_denied
def revision_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    article = access.editable_article(request.user, pk)
    revision = get_object_or_404(Revision, article=article, number=number)
    restored = services.restore_revision(revision, by=request.user)
    messages.success(
        request,
        _("Version %(old)d has been restored as version %(new)d.")
        % {"old": revision.number, "new": restored.number},
    )
    return redirect("knowledge:history", article.pk)


# ---- discussion, reading list, sharing -----------------------------------------------------


@verified_required
@require_POST
@_not_found_on_denied
def comment_post(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.readable_article(request.user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse("knowledge:article", args=[pk]) + "#discussion")
    try:
        comment = services.add_comment(
            article,
            by=request.user,
            body=form.cleaned_data["body"],
            parent_id=form.cleaned_data.get("parent"),
        )
    except ValidationError as error:
        _error_messages(request, error)
        return redirect(reverse("knowledge:article", args=[pk]) + "#discussion")
    return redirect(reverse("knowledge:article", args=[pk]) + f"#comment-{comment.pk}")


@verified_required
@require_POST
@_not_found_on_denied
def comment_action(request: HttpRequest, pk: int, comment_id: int, action: str) -> HttpResponse:
    article = access.readable_article(request.user, pk)
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=comment_id)
    if comment.article_id != article.pk:
        raise Http404
    try:
        if action == "useful":
            services.toggle_useful(comment, by=request.user)
        elif action == "hide":
            services.hide_comment(comment, by=request.user, hidden=True)
            messages.success(request, _("The comment has been hidden."))
        elif action == "show":
            services.hide_comment(comment, by=request.user, hidden=False)
            messages.success(request, _("The comment is visible again."))
        else:
            raise Http404
    except ValidationError as error:
        _error_messages(request, error)
    return redirect(reverse("knowledge:article", args=[pk]) + f"#comment-{comment.pk}")


@verified_required
@require_POST
@_not_found_on_denied
def bookmark(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.readable_article(request.user, pk)
    if services.toggle_bookmark(article, by=request.user):
        messages.success(request, _("Added to your reading list."))
    else:
        messages.success(request, _("Removed from your reading list."))
    return redirect("knowledge:article", article.pk)


@verified_required
def reading_list(request: HttpRequest) -> HttpResponse:
    articles = (
        access.readable_articles(request.user)
        .filter(bookmarks__user=request.user)
        .order_by("-bookmarks__created_at")
    )
    page = Paginator(listed(articles), PAGE).get_page(request.GET.get("page"))
    name_page(page)
    return render(request, "knowledge/reading_list.html", {"page": page})


@verified_required
@require_POST
@_not_found_on_denied
def share(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.readable_article(request.user, pk)
    form = ShareForm(request.POST, user=request.user, article=article)
    if not form.is_valid():
        messages.error(request, _("Choose one of your channels."))
        return redirect("knowledge:article", article.pk)
    try:
        message = services.share_article(
            article,
            by=request.user,
            channel_id=form.cleaned_data["channel"].pk,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("knowledge:article", article.pk)
    except RateLimited:
        messages.error(request, _("You are sending messages too fast. Wait a moment."))
        return redirect("knowledge:article", article.pk)
    return redirect("channels_app:permalink", message.channel_id, message.seq)


# ---- learning sessions ---------------------------------------------------------------------


@verified_required
def sessions(request: HttpRequest) -> HttpResponse:
    page = Paginator(_upcoming_sessions(), PAGE).get_page(request.GET.get("page"))
    mine = dict(
        Registration.objects.filter(user=request.user, session__in=[s.pk for s in page.object_list])
        .exclude(status=Registration.Status.CANCELLED)
        .values_list("session_id", "status")
    )
    for session in page.object_list:
        session.my_status = mine.get(session.pk)
    return render(
        request,
        "knowledge/sessions.html",
        {"page": page, "is_trainer": access.is_trainer(request.user)},
    )


@verified_required
def archive(request: HttpRequest) -> HttpResponse:
    past = (
        LearningSession.objects.filter(ends_at__lte=timezone.now())
        .annotate(
            attended_count=Count(
                "registrations", filter=Q(registrations__attended=True), distinct=True
            ),
            material_count=Count("materials", distinct=True),
        )
        .prefetch_related("trainers")
        .order_by("-starts_at", "-pk")
    )
    page = Paginator(past, PAGE).get_page(request.GET.get("page"))
    return render(request, "knowledge/archive.html", {"page": page})


def _session_articles(user):
    return access.readable_articles(user).order_by("title")


def _session_editor(request: HttpRequest, session: LearningSession | None) -> HttpResponse:
    form = SessionForm(
        request.POST or None,
        instance=session,
        user=request.user,
        articles=_session_articles(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_session(session, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The learning session has been saved."))
            return redirect("knowledge:session", saved.pk)
    return form_page(
        request,
        "knowledge/session_form.html",
        {"form": form, "session": session},
    )


@verified_required
def session_new(request: HttpRequest) -> HttpResponse:
    if not access.is_trainer(request.user):
        raise Http404
    return _session_editor(request, None)


@verified_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_editor(request, access.run_session(request.user, pk))


@verified_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.visible_session(request.user, pk)
    registrations = list(session.registrations.select_related("user").order_by("queued_at", "pk"))
    confirmed = [r for r in registrations if r.status == Registration.Status.CONFIRMED]
    waiting = [r for r in registrations if r.status == Registration.Status.WAITING]
    mine = next((r for r in registrations if r.user_id == request.user.pk), None)
    if mine and mine.status == Registration.Status.CANCELLED:
        mine = None
    position = waiting.index(mine) + 1 if mine in waiting else None
    article = session.article
    if article is not None and not access.may_read(request.user, article):
        article = None
    can_run = access.may_run(request.user, session)
    return render(
        request,
        "knowledge/session_detail.html",
        {
            "session": session,
            "article": article,
            "confirmed": confirmed,
            "waiting": waiting,
            "free": max(0, session.capacity - len(confirmed)),
            "mine": mine,
            "position": position,
            "can_run": can_run,
            "show_online_link": access.shows_online_link(request.user, session, mine),
            "materials": session.materials.all(),
            "material_form": AttachmentForm() if can_run else None,
        },
    )


@verified_required
@require_POST
@_not_found_on_denied
def session_registration(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    session = access.visible_session(request.user, pk)
    try:
        if action == "register":
            registration = services.register(session.pk, user=request.user)
            if registration.status == Registration.Status.CONFIRMED:
                messages.success(request, _("You are registered. See you there!"))
            else:
                messages.info(
                    request,
                    _("The session is full; you are on the waiting list and move up by "
                      "yourself when a place comes free."),
                )  # fmt: skip
        elif action == "unregister":
            services.unregister(session.pk, user=request.user)
            messages.success(request, _("Your registration has been cancelled."))
        elif action == "cancel":
            services.cancel_session(session, by=request.user)
            messages.success(request, _("The session has been cancelled."))
        else:
            raise Http404
    except ValidationError as error:
        _error_messages(request, error)
    return redirect("knowledge:session", session.pk)


@verified_required
@_not_found_on_denied
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.run_session(request.user, pk)
    confirmed = session.registrations.filter(status=Registration.Status.CONFIRMED).select_related(
        "user"
    )
    if request.method == "POST":
        try:
            count = services.mark_attendance(
                session, by=request.user, present=request.POST.getlist("present")
            )
        except (ValidationError, ValueError) as error:
            if isinstance(error, ValidationError):
                _error_messages(request, error)
            else:
                messages.error(request, _("Choose people from the list."))
        else:
            messages.success(request, _("Attendance saved: %(count)d present.") % {"count": count})
            return redirect("knowledge:session", session.pk)
    return render(
        request, "knowledge/attendance.html", {"session": session, "confirmed": confirmed}
    )


@verified_required
@require_POST
@_not_found_on_denied
def material_upload(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.run_session(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
    else:
        try:
            item = services.add_material(session, by=request.user, upload=form.cleaned_data["file"])
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": item.name})
    return redirect(reverse("knowledge:session", args=[session.pk]) + "#materials")


@verified_required
def material(request: HttpRequest, pk: int, material_id: int) -> FileResponse:
    session = access.visible_session(request.user, pk)
    return _serve(get_object_or_404(SessionMaterial, pk=material_id, session=session))


@verified_required
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.visible_session(request.user, pk)
    mine = Registration.objects.filter(session=session, user=request.user).first()
    online_link = access.shows_online_link(request.user, session, mine)
    response = HttpResponse(
        ical.session_calendar(session, online_link=online_link),
        content_type="text/calendar",
    )
    response["Content-Disposition"] = f'attachment; filename="leersessie-{session.pk}.ics"'
    return response


@verified_required
def calendar(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.reset_calendar_feed(request.user)
        messages.success(
            request, _("You have a new calendar address; the old one stopped working.")
        )
        return redirect("knowledge:calendar")
    feed = services.calendar_feed(request.user)
    url = absolute_url(reverse("knowledge:calendar_feed", args=[feed.token]))
    return render(request, "knowledge/calendar.html", {"feed_url": url})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The personal feed: no sign-in (calendar apps cannot), the secret address is the key."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active or not access.is_verified(feed.user):
        raise Http404
    user = feed.user
    sessions = list(
        LearningSession.objects.filter(
            Q(registrations__user=user, registrations__status=Registration.Status.CONFIRMED)
            | Q(trainers=user)
        )
        .filter(ends_at__gt=timezone.now() - timedelta(days=90))
        .prefetch_related("trainers")
        .distinct()
        .order_by("starts_at")
    )
    mine = {
        registration.session_id: registration
        for registration in Registration.objects.filter(user=user, session__in=sessions)
    }
    events = [
        (session, access.shows_online_link(user, session, mine.get(session.pk)))
        for session in sessions
    ]
    response = HttpResponse(ical.feed_calendar(events), content_type="text/calendar")
    response["Cache-Control"] = "private, max-age=900"
    return response
