"""Searching the messages a person may read: their channels and the open channels."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from channels_app.models import Channel, Message

_WORD = re.compile(r"\w+", re.UNICODE)


class MessageSearchForm(forms.Form):
    q = forms.CharField(label=_("Search messages"), max_length=200)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), required=False, empty_label=_("All")
    )
    author = forms.ModelChoiceField(
        label=_("Author"),
        queryset=User.objects.filter(is_active=True).order_by("display_name"),
        required=False,
        empty_label=_("Anyone"),
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
        self.fields["author"].label_from_instance = lambda u: u.display_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date lies before the start date."))
        if data.get("q") and not _WORD.findall(data["q"]):
            self.add_error("q", _("Type at least one word."))
        return data


def readable_channels(user: User) -> QuerySet[Channel]:
    return Channel.objects.filter(Q(memberships__user=user) | Q(kind=Channel.Kind.OPEN)).distinct()


def search_messages(user: User, data: dict[str, Any]) -> QuerySet[Message]:
    channel_ids = readable_channels(user).values("pk")
    messages = Message.objects.filter(channel__in=channel_ids, deleted_at__isnull=True)
    if data.get("channel"):
        messages = messages.filter(channel=data["channel"])
    if data.get("author"):
        messages = messages.filter(author=data["author"])
    if data.get("date_from"):
        messages = messages.filter(created_at__date__gte=data["date_from"])
    if data.get("date_to"):
        messages = messages.filter(created_at__date__lte=data["date_to"])
    words = [w.lower() for w in _WORD.findall(data["q"])][:8]
    if settings.IS_POSTGRES:
        query = SearchQuery(
            " & ".join(f"{w}:*" for w in words), search_type="raw", config=settings.SEARCH_CONFIG
        )
        messages = messages.filter(search_vector=query).annotate(
            snippet=SearchHeadline(
                F("body"),
                query,
                config=settings.SEARCH_CONFIG,
                start_sel="[[[",
                stop_sel="]]]",
                max_words=30,
                min_words=10,
            )
        )
    else:
        for word in words:
            messages = messages.filter(body__icontains=word)
        messages = messages.annotate(snippet=F("body"))
    return messages.select_related("author", "channel").order_by("-created_at", "-pk")
