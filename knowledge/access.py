"""Who may see and do what in the knowledge base; views, search and feeds all use these helpers.

A published article is read by every verified professional, or, when its audience is
restricted, only by the members of the chosen channels: a channel ``Membership`` row in one of
them that is not archived. Drafts are seen by their authors only. Those who may edit an article (its
authors, platform administrators) read it too. Anyone else gets a 404, exactly as for an article
that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from channels_app.models import Membership as ChannelMembership
from directory.access import is_verified
from knowledge.models import Article, LearningSession, Registration


def is_trainer(user: Any) -> bool:
    """Trainers (and platform administrators) write articles and run learning sessions."""
    if not is_verified(user):
        return False
    return bool(user.is_platform_admin or user.has_role(Role.TRAINER))


def _member_of_audience(user: Any) -> Exists:
    return Exists(
        ChannelMembership.objects.filter(
            user=user, channel__knowledge_articles=OuterRef("pk"), channel__archived_at=None
        )
    )


def readable_articles(user: Any) -> QuerySet[Article]:
    """Published articles ``user`` may read (none for unverified users)."""
    if not is_verified(user):
        return Article.objects.none()
    return Article.objects.filter(status=Article.Status.PUBLISHED).filter(
        Q(audience=Article.Audience.ALL) | Q(_member_of_audience(user))
    )


def trainers_except(user: Any) -> QuerySet[User]:
    """Active people with the trainer role, for choosing co-authors and co-trainers."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.TRAINER, professional__verified=True)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("display_name")
    )


def may_read(user: Any, article: Article) -> bool:
    if not is_verified(user):
        return False
    if may_edit(user, article):
        return True
    if not article.is_published:
        return False
    if article.audience == Article.Audience.ALL:
        return True
    # the chosen channels are usually prefetched; one query then answers for all of them
    audience = [channel.pk for channel in article.channels.all() if not channel.is_archived]
    return bool(audience) and (
        ChannelMembership.objects.filter(user=user, channel_id__in=audience).exists()
    )


def may_edit(user: Any, article: Article) -> bool:
    """Authors who still hold the trainer role, and platform administrators."""
    if not is_trainer(user):
        return False
    if user.is_platform_admin:
        return True
    return any(author.pk == user.pk for author in article.authors.all())


def readable_article(user: Any, pk: Any) -> Article:
    """The article if ``user`` may read it; 404 otherwise (missing or not allowed alike)."""
    try:
        article = (
            Article.objects.prefetch_related("authors", "themes", "tags", "channels")
            .select_related("created_by")
            .get(pk=int(pk))
        )
    except (Article.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not may_read(user, article):
        raise Http404
    return article


def editable_article(user: Any, pk: Any) -> Article:
    article = readable_article(user, pk)
    if not may_edit(user, article):
        raise Http404
    return article


def may_moderate(user: Any, article: Article) -> bool:
    """Authors of the article and platform administrators moderate its discussion."""
    return may_edit(user, article)


def visible_session(user: Any, pk: Any) -> LearningSession:
    """Learning sessions are open to every verified professional."""
    if not is_verified(user):
        raise Http404
    try:
        return (
            LearningSession.objects.prefetch_related("trainers", "themes")
            .select_related("article")
            .get(pk=int(pk))
        )
    except (LearningSession.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def may_run(user: Any, session: LearningSession) -> bool:
    """Trainers of the session and platform administrators manage it."""
    if not is_trainer(user):
        return False
    if user.is_platform_admin:
        return True
    return any(trainer.pk == user.pk for trainer in session.trainers.all())


def shows_online_link(
    user: Any, session: LearningSession, registration: Registration | None
) -> bool:
    """Whether ``user`` sees the session's online link: on its page, in its .ics, in the feed.

    Those with a confirmed place (not the waiting list) and those who run the session.
    ``registration`` is the user's registration for the session, if any.
    """
    if registration is not None and registration.status == Registration.Status.CONFIRMED:
        return True
    return may_run(user, session)


def run_session(user: Any, pk: Any) -> LearningSession:
    session = visible_session(user, pk)
    if not may_run(user, session):
        raise Http404
    return session
