"""Searching the messages a person may read: their channels and the open channels.

Built for a million messages: the channels a person may read are looked up first (one small
query) so the message query filters on a plain list of ids; newest first with an index on the
creation time, so a frequent word walks back from the newest message and stops after a page,
while a rare word comes from the GIN index; and pages are not counted (``LookaheadPaginator``:
"more than 25 messages", next page) instead of counting every hit of a common word.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchHeadline
from django.core.paginator import Page
from django.db.models import Case, F, Q, QuerySet, When
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from channels_app.models import Channel, Membership, Message
from core.forms import PlainSelect, SearchForm
from core.pagination import LookaheadPaginator
from core.search import WORD, prefix_query, search_words

PAGE_SIZE = 25


class MessageSearchForm(SearchForm):
    q = forms.CharField(label=_("Search messages"), max_length=200)
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=_("All"),
        widget=PlainSelect(label_field="name"),
    )
    # A name rather than a list of everyone: the list held every professional of the region
    # (3,000 made the page 150 KB and about 6 ms slower), and showed them all to everyone.
    author = forms.CharField(
        label=_("Author"),
        max_length=150,
        required=False,
        help_text=_("A name or part of one, such as a surname."),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = (
            readable_channels(user).exclude(kind=Channel.Kind.DIRECT).order_by("name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date lies before the start date."))
        if data.get("q") and not WORD.findall(data["q"]):
            self.add_error("q", _("Type at least one word."))
        if data.get("author") and not WORD.findall(data["author"]):
            self.add_error("author", _("Type at least one word."))
        return data


#: messages up to this many characters are shown whole among the results
WHOLE_MESSAGE = 600


def _authors_named(text: str) -> QuerySet[User]:
    """Users whose name holds every word of ``text``, case and accents ignored (unaccent,
    migration 0007), so "Anais" and "Anaïs" both find Anaïs."""
    authors = User.objects.all()
    for word in WORD.findall(text)[:4]:
        authors = authors.filter(display_name__unaccent__icontains=_without_accents(word))
    return authors


def _without_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def readable_channels(user: User) -> QuerySet[Channel]:
    # A subquery rather than a join with DISTINCT: with 2,000 channels and 37,000 memberships the
    # join took 12 ms, the subquery well under one.
    mine = Membership.objects.filter(user=user).values("channel_id")
    return Channel.objects.filter(Q(kind=Channel.Kind.OPEN) | Q(pk__in=mine))


def readable_channel_ids(user: User) -> list[int]:
    """Ids of the channels ``user`` may read, as ``readable_channels`` but in one cheap query:
    a UNION of the open channels and the user's memberships, each answered by its own index,
    where the OR of ``readable_channels`` reads every channel."""
    open_channels = Channel.objects.filter(kind=Channel.Kind.OPEN).values_list("pk", flat=True)
    mine = Membership.objects.filter(user=user).values_list("channel_id", flat=True)
    return sorted(open_channels.order_by().union(mine.order_by()))


def search_page(user: User, data: dict[str, Any], number: Any) -> Page:
    """The page of results the search view shows (``number`` as typed in the URL)."""
    return LookaheadPaginator(search_messages(user, data), PAGE_SIZE).get_page(number)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_messages(user: User, data: dict[str, Any]) -> QuerySet[Message]:
    channel_ids = readable_channel_ids(user)
    messages = Message.objects.filter(channel__in=channel_ids, deleted_at__isnull=True)
    if data.get("channel"):
        messages = messages.filter(channel=data["channel"])
    if data.get("author"):
        messages = messages.filter(author__in=_authors_named(data["author"]).values("pk"))
    # Whole days in the local time zone, as a range on the column so its index can answer.
    if data.get("date_from"):
        messages = messages.filter(created_at__gte=_start_of(data["date_from"]))
    if data.get("date_to") and data["date_to"] < date.max:  # the last day there is: no end
        messages = messages.filter(created_at__lt=_start_of(data["date_to"] + timedelta(days=1)))
    words = search_words(data["q"])
    query = prefix_query(words)
    marks = {"config": settings.SEARCH_CONFIG, "start_sel": "[[[", "stop_sel": "]]]"}
    # a chat message is mostly short: shown whole, its Markdown renders as it did in the room;
    # of a long one a fragment around the words (whose Markdown may be cut off, so it is shown
    # as plain text)
    whole = LessThanOrEqual(Length("body"), WHOLE_MESSAGE)
    messages = messages.filter(search_vector=query).annotate(
        whole=Case(When(whole, then=True), default=False),
        snippet=Case(
            When(whole, then=SearchHeadline(F("body"), query, highlight_all=True, **marks)),
            default=SearchHeadline(F("body"), query, max_words=30, min_words=10, **marks),
        ),
    )
    return messages.select_related("author__professional", "channel").order_by("-created_at", "-pk")
