"""State changes in the knowledge base: articles, revisions, files, discussion and sessions.

Every function checks who acts, writes inside a transaction and leaves views thin. Authorisation
failures raise PermissionDenied (views turn them into 404), bad input ValidationError.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from channels_app import services as channel_services
from channels_app.files import RefusedFile, display_name, sniff
from directory.access import is_verified
from directory.services import process_photo
from knowledge import access
from knowledge.content import comment_html, pdf_text
from knowledge.models import (
    Article,
    ArticleAttachment,
    Bookmark,
    CalendarFeed,
    Comment,
    LearningSession,
    Registration,
    Revision,
    SessionMaterial,
    Tag,
    UsefulMark,
)

logger = logging.getLogger(__name__)

COVER_SIZE = (1200, 630)
MAX_ATTACHMENTS = 20


def _require(check: bool) -> None:
    if not check:
        raise PermissionDenied


def _unique_slug(model: type, text: str, *, exclude: int | None = None, length: int = 180) -> str:
    base = slugify(text)[:length].strip("-") or "artikel"
    slug, n = base, 2
    others = model.objects.exclude(pk=exclude) if exclude else model.objects.all()
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def tags_named(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created when new (matched case-insensitively)."""
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(name=name, slug=_unique_slug(Tag, name, length=55))
        tags.append(tag)
    return tags


# ---- search document -----------------------------------------------------------------------


def _clean_for_search(text: str) -> str:
    # The highlight filter turns these markers into <mark>; a document cannot bring its own.
    return (text or "").replace("[[[", "").replace("]]]", "")


def refresh_search(article_id: int) -> None:
    """Recompute the stored search document: title (A), summary, themes and tags (B), text (C),
    attachment text (D)."""
    article = Article.objects.prefetch_related("themes", "tags", "attachments").get(pk=article_id)
    labels = [t.name for t in article.themes.all()] + [t.name for t in article.tags.all()]
    files = " ".join(a.text for a in article.attachments.all() if a.text)
    parts = {
        "A": article.title,
        "B": " ".join([article.summary, *labels]),
        "C": article.body,
        "D": files,
    }
    update: dict[str, Any] = {
        "search_text": _clean_for_search(
            "\n".join([article.summary, article.body, files, " ".join(labels)])
        )
    }
    if settings.IS_POSTGRES:
        vector = None
        for weight, text in parts.items():
            part = SearchVector(Value(text), weight=weight, config=settings.SEARCH_CONFIG)
            vector = part if vector is None else vector + part
        update["search_vector"] = vector
    Article.objects.filter(pk=article.pk).update(**update)


# ---- articles ------------------------------------------------------------------------------


def _create_revision(article: Article, by: User, restored_from: Revision | None = None) -> Revision:
    # The article row is locked by the caller: numbers cannot collide.
    number = (article.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return Revision.objects.create(
        article=article,
        number=number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        created_by=by,
        restored_from=restored_from,
    )


def _replace_cover(article: Article, cover: Any, remove: bool) -> None:
    old = article.cover.name if article.cover else ""
    if cover is not None:
        article.cover.save("cover.jpg", process_photo(cover, size=COVER_SIZE), save=False)
    elif remove:
        article.cover = ""
    new = article.cover.name if article.cover else ""
    if old and old != new:
        storage = article.cover.storage
        transaction.on_commit(lambda: storage.delete(old))


@transaction.atomic
def save_article(
    article: Article | None,
    *,
    by: User,
    data: dict[str, Any],
    cover: Any = None,
    remove_cover: bool = False,
) -> Article:
    """Create or update an article from cleaned form data.

    While an article is published, every save is stored as a revision.
    """
    _require(access.is_trainer(by))
    if article is None:
        article = Article(created_by=by, slug=_unique_slug(Article, data["title"]))
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
        _require(access.may_edit(by, article))
    audience = data.get("audience") or Article.Audience.ALL
    channels = list(data.get("channels") or [])
    if audience == Article.Audience.CHANNELS and not channels:
        raise ValidationError({"channels": _("Choose at least one channel.")})
    for field in ("title", "summary", "body", "cover_alt"):
        if field in data:
            setattr(article, field, data[field])
    article.domains = list(data.get("domains") or [])
    article.audience = audience
    article.reading_minutes = Article.minutes_to_read(article.body)
    article.updated_at = timezone.now()
    _replace_cover(article, cover, remove_cover)
    article.save()
    if "coauthors" in data:
        article.authors.set({by, *[u for u in data["coauthors"] if access.is_trainer(u)]})
    else:
        article.authors.add(by)
    article.themes.set(data.get("themes") or [])
    article.tags.set(tags_named(data.get("tag_names") or []))
    article.channels.set(channels if audience == Article.Audience.CHANNELS else [])
    if article.is_published:
        _create_revision(article, by)
    refresh_search(article.pk)
    return article


@transaction.atomic
def set_published(article: Article, *, by: User, published: bool = True) -> Article:
    """Publish a draft (the first revision is stored) or take an article back to draft."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    _require(access.may_edit(by, article))
    if published == article.is_published:
        return article
    if published:
        article.status = Article.Status.PUBLISHED
        article.published_at = article.published_at or timezone.now()
        article.save(update_fields=["status", "published_at"])
        _create_revision(article, by)
    else:
        article.status = Article.Status.DRAFT
        article.save(update_fields=["status"])
    return article


@transaction.atomic
def restore_revision(revision: Revision, *, by: User) -> Revision:
    """Make an older revision the current text again; recorded as a new revision."""
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    _require(access.may_edit(by, article))
    article.title, article.summary, article.body = revision.title, revision.summary, revision.body
    article.reading_minutes = Article.minutes_to_read(article.body)
    article.updated_at = timezone.now()
    article.save(update_fields=["title", "summary", "body", "reading_minutes", "updated_at"])
    restored = _create_revision(article, by, restored_from=revision)
    refresh_search(article.pk)
    return restored


@transaction.atomic
def delete_article(article: Article, *, by: User) -> None:
    _require(access.may_edit(by, article))
    files = [a.file.name for a in article.attachments.all()]
    if article.cover:
        files.append(article.cover.name)
    storage = ArticleAttachment._meta.get_field("file").storage
    article.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


def _store_upload(model: type, *, by: User, upload: Any, **owner: Any):
    try:
        sniffed = sniff(upload)
    except RefusedFile as error:
        raise ValidationError(str(error), code="refused_file") from None
    item = model(
        uploader=by,
        name=display_name(getattr(upload, "name", ""), sniffed),
        content_type=sniffed.content_type,
        size=upload.size,
        **owner,
    )
    if sniffed.content_type == "application/pdf" and model is ArticleAttachment:
        item.text = pdf_text(upload)
    item.file.save(item.name, upload, save=False)
    item.save()
    return item


@transaction.atomic
def add_attachment(article: Article, *, by: User, upload: Any) -> ArticleAttachment:
    """Attach a file; its type is judged from its bytes, and a PDF's text becomes searchable."""
    _require(access.may_edit(by, article))
    if article.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(
            _("An article can have at most %(n)d files.") % {"n": MAX_ATTACHMENTS}
        )
    attachment = _store_upload(ArticleAttachment, by=by, upload=upload, article=article)
    refresh_search(article.pk)
    return attachment


@transaction.atomic
def remove_attachment(attachment: ArticleAttachment, *, by: User) -> None:
    _require(access.may_edit(by, attachment.article))
    storage, name = attachment.file.storage, attachment.file.name
    article_id = attachment.article_id
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
    refresh_search(article_id)


# ---- discussion ----------------------------------------------------------------------------


def _clean_comment(body: Any) -> str:
    text = (body if isinstance(body, str) else "").strip()
    if not text:
        raise ValidationError(_("Write a comment first."))
    if len(text) > Comment._meta.get_field("body").max_length:
        raise ValidationError(_("A comment may be at most 4000 characters."))
    return text


@transaction.atomic
def add_comment(article: Article, *, by: User, body: Any, parent_id: Any = None) -> Comment:
    _require(access.may_read(by, article) and article.is_published)
    parent = None
    if parent_id:
        parent = Comment.objects.filter(
            pk=parent_id, article=article, parent__isnull=True, hidden_at=None
        ).first()
        if parent is None:
            raise ValidationError(_("The comment you reply to does not exist."))
    text = _clean_comment(body)
    return Comment.objects.create(
        article=article, parent=parent, author=by, body=text, body_html=comment_html(text)
    )


@transaction.atomic
def toggle_useful(comment: Comment, *, by: User) -> bool:
    """Mark a comment as useful, or take the mark back; returns whether it is marked now."""
    _require(access.may_read(by, comment.article) and not comment.is_hidden)
    if comment.author_id == by.pk:
        raise ValidationError(_("You cannot mark your own comment as useful."))
    deleted, _rows = UsefulMark.objects.filter(comment=comment, user=by).delete()
    if deleted:
        Comment.objects.filter(pk=comment.pk).update(useful_count=F("useful_count") - 1)
        return False
    try:
        with transaction.atomic():
            UsefulMark.objects.create(comment=comment, user=by)
    except IntegrityError:
        return True
    Comment.objects.filter(pk=comment.pk).update(useful_count=F("useful_count") + 1)
    return True


@transaction.atomic
def hide_comment(comment: Comment, *, by: User, hidden: bool = True) -> None:
    """Moderation: the article's authors hide a comment (and its replies with it), or undo it;
    writers may remove their own."""
    own = comment.author_id == by.pk
    _require(access.may_moderate(by, comment.article) or (own and hidden))
    comment.hidden_at = timezone.now() if hidden else None
    comment.hidden_by = by if hidden else None
    comment.save(update_fields=["hidden_at", "hidden_by"])


@transaction.atomic
def toggle_bookmark(article: Article, *, by: User) -> bool:
    _require(access.may_read(by, article))
    deleted, _rows = Bookmark.objects.filter(article=article, user=by).delete()
    if deleted:
        return False
    Bookmark.objects.get_or_create(article=article, user=by)
    return True


def share_article(article: Article, *, by: User, channel_id: Any, note: Any = "") -> Any:
    """Post the article as a card into a channel where ``by`` may post.

    A restricted article is shared only into the channels it is meant for, so the card never
    shows its title to people who may not read it.
    """
    _require(access.may_read(by, article) and article.is_published)
    if article.is_restricted and not article.channels.filter(pk=channel_id).exists():
        raise ValidationError(
            _("This article is only for some channels; it can be shared in those only.")
        )
    url = reverse("knowledge:article", args=[article.pk])
    summary = " ".join(article.summary.split())[:280]
    lines = [note.strip()] if isinstance(note, str) and note.strip() else []
    lines += [f"> 📖 **[{_escape_md(article.title)}]({url})**", ">", f"> {_escape_md(summary)}"]
    message, _created = channel_services.post_message(
        int(channel_id), author=by, body="\n".join(lines)
    )
    return message


def _escape_md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]()#<>!|~" else ch for ch in text)


# ---- learning sessions ---------------------------------------------------------------------


@transaction.atomic
def save_session(
    session: LearningSession | None, *, by: User, data: dict[str, Any]
) -> LearningSession:
    _require(access.is_trainer(by))
    if session is None:
        session = LearningSession(created_by=by)
    else:
        session = LearningSession.objects.select_for_update().get(pk=session.pk)
        _require(access.may_run(by, session))
        session.sequence += 1
    for field in ("title", "description", "starts_at", "ends_at", "location", "online_url",
                  "capacity", "registration_deadline", "article"):  # fmt: skip
        if field in data:
            setattr(session, field, data[field])
    if session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": _("The session must end after it starts.")})
    if session.registration_deadline > session.starts_at:
        raise ValidationError(
            {"registration_deadline": _("The registration deadline must be before the start.")}
        )
    session.save()
    trainers = set(data.get("trainers") or []) | {by}
    session.trainers.set(trainers)
    session.themes.set(data.get("themes") or [])
    # more places may let people move up from the waiting list
    _promote(session)
    return session


@transaction.atomic
def cancel_session(session: LearningSession, *, by: User) -> None:
    session = LearningSession.objects.select_for_update().get(pk=session.pk)
    _require(access.may_run(by, session))
    session.cancelled_at = timezone.now()
    session.sequence += 1
    session.save(update_fields=["cancelled_at", "sequence"])


def _locked_session(session_id: int) -> LearningSession:
    # Row lock on the session: registrations for one session are decided one at a time.
    return LearningSession.objects.select_for_update().get(pk=session_id)


def _promote(session: LearningSession) -> list[Registration]:
    """Move people up from the waiting list while there are free places (session row locked)."""
    confirmed = session.registrations.filter(status=Registration.Status.CONFIRMED).count()
    free = session.capacity - confirmed
    if free <= 0 or session.cancelled_at or session.has_started:
        return []
    waiting = list(
        session.registrations.filter(status=Registration.Status.WAITING)
        .select_related("user")
        .order_by("queued_at", "pk")[:free]
    )
    for registration in waiting:
        registration.status = Registration.Status.CONFIRMED
        registration.save(update_fields=["status"])
        _mail_moved_up(session, registration.user)
    return waiting


def register(session_id: int, *, user: User) -> Registration:
    """Register for a session: a place while there is one, otherwise the waiting list.

    Safe when many people register at once: the session row is locked for the decision.
    """
    if not is_verified(user):
        raise PermissionDenied
    with transaction.atomic():
        session = _locked_session(session_id)
        if session.cancelled_at:
            raise ValidationError(_("This session has been cancelled."))
        if not session.registration_open:
            raise ValidationError(_("Registration for this session has closed."))
        registration = Registration.objects.filter(session=session, user=user).first()
        if registration and registration.status != Registration.Status.CANCELLED:
            return registration
        confirmed = session.registrations.filter(status=Registration.Status.CONFIRMED).count()
        status = (
            Registration.Status.CONFIRMED
            if confirmed < session.capacity
            else Registration.Status.WAITING
        )
        if registration is None:
            registration = Registration(session=session, user=user)
        registration.status = status
        registration.queued_at = timezone.now()
        registration.attended = None
        registration.reminded_at = None
        registration.save()
        return registration


def unregister(session_id: int, *, user: User) -> Registration | None:
    """Give up a place or leave the waiting list; the first person waiting moves up."""
    with transaction.atomic():
        session = _locked_session(session_id)
        registration = (
            Registration.objects.filter(session=session, user=user)
            .exclude(status=Registration.Status.CANCELLED)
            .first()
        )
        if registration is None:
            return None
        if session.has_started:
            raise ValidationError(_("The session has already started."))
        registration.status = Registration.Status.CANCELLED
        registration.save(update_fields=["status"])
        _promote(session)
        return registration


@transaction.atomic
def mark_attendance(session: LearningSession, *, by: User, present: Iterable[int]) -> int:
    """The trainer records who came; everyone else registered counts as absent."""
    _require(access.may_run(by, session))
    if not session.has_started:
        raise ValidationError(_("Attendance can be recorded once the session has started."))
    confirmed = session.registrations.filter(status=Registration.Status.CONFIRMED)
    present_ids = {int(p) for p in present}
    confirmed.filter(user_id__in=present_ids).update(attended=True)
    confirmed.exclude(user_id__in=present_ids).update(attended=False)
    return confirmed.filter(attended=True).count()


@transaction.atomic
def add_material(session: LearningSession, *, by: User, upload: Any) -> SessionMaterial:
    _require(access.may_run(by, session))
    if session.materials.count() >= MAX_ATTACHMENTS:
        raise ValidationError(_("A session can have at most %(n)d files.") % {"n": MAX_ATTACHMENTS})
    return _store_upload(SessionMaterial, by=by, upload=upload, session=session)


@transaction.atomic
def remove_material(material: SessionMaterial, *, by: User) -> None:
    _require(access.may_run(by, material.session))
    storage, name = material.file.storage, material.file.name
    material.delete()
    transaction.on_commit(lambda: storage.delete(name))


def calendar_feed(user: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def reset_calendar_feed(user: User) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    CalendarFeed.objects.filter(user=user).delete()
    return CalendarFeed.objects.create(user=user)


# ---- e-mail --------------------------------------------------------------------------------


def _session_mail(template: str, session: LearningSession, user: User) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        context = {"session": session, "user": user, "site_name": settings.SITE_NAME,
                   "path": reverse("knowledge:session", args=[session.pk])}  # fmt: skip
        subject = render_to_string(f"knowledge/email/{template}_subject.txt", context)
        body = render_to_string(f"knowledge/email/{template}_message.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])


def _mail_moved_up(session: LearningSession, user: User) -> None:
    transaction.on_commit(lambda: _session_mail("moved_up", session, user))


def send_reminders(*, now: datetime | None = None, hours: int = 24) -> int:
    """E-mail everyone with a place in a session that starts within ``hours``; once each."""
    now = now or timezone.now()
    due = Registration.objects.filter(
        status=Registration.Status.CONFIRMED,
        reminded_at__isnull=True,
        session__cancelled_at__isnull=True,
        session__starts_at__gt=now,
        session__starts_at__lte=now + timedelta(hours=hours),
    ).select_related("session", "user")
    sent = 0
    for registration in due:
        # Claim it first: a second run (or a parallel one) finds nothing left to send.
        claimed = Registration.objects.filter(pk=registration.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        try:
            _session_mail("reminder", registration.session, registration.user)
        except Exception:
            Registration.objects.filter(pk=registration.pk).update(reminded_at=None)
            logger.exception("reminder for registration %s could not be sent", registration.pk)
            continue
        sent += 1
    return sent
