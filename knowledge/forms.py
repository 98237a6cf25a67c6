from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from channels_app.models import Channel
from core.forms import NamesField, PlainSelect, SearchForm
from directory.models import Domain
from knowledge import access
from knowledge.models import Article, LearningSession, Tag, Theme

_WORD = re.compile(r"\w+", re.UNICODE)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences, shown in lists and search results."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=Article._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_(
            "Markdown: ## heading, **bold**, lists, > quote, tables. Show an image from this "
            "article's files with ![description](address of the file)."
        ),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tag_names = NamesField(
        most=12,
        error_messages={
            "too_long": _("Each tag may be at most %(longest)d characters."),
            "too_many": _("Use at most %(most)d tags."),
        },
        label=_("Tags"),
        help_text=_("Separate with commas, for example: armoede, mantelzorg."),
    )
    domains = forms.MultipleChoiceField(
        label=_("Written for"),
        choices=Domain.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    coauthors = forms.ModelMultipleChoiceField(
        label=_("Co-authors"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Other trainers who may edit and publish this article."),
    )
    audience = forms.ChoiceField(
        label=_("Who may read it"),
        choices=Article.Audience.choices,
        initial=Article.Audience.ALL,
        widget=forms.RadioSelect,
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for an article restricted to channels: their members may read it."),
    )
    cover_upload = forms.ImageField(
        label=_("Cover image"),
        required=False,
        help_text=_("A JPEG or PNG of at most 5 MB; it is cropped to 1200 × 630 pixels."),
    )
    cover_alt = forms.CharField(
        label=_("Description of the cover image"),
        max_length=200,
        required=False,
        help_text=_("For people who cannot see the image."),
    )
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)

    def __init__(self, *args: Any, user: User, article: Article | None = None, **kwargs: Any):
        if article is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": article.title,
                "summary": article.summary,
                "body": article.body,
                "themes": list(article.themes.all()),
                "tag_names": ", ".join(t.name for t in article.tags.all()),
                "domains": article.domains,
                "audience": article.audience,
                "channels": list(article.channels.all()),
                "cover_alt": article.cover_alt,
                "coauthors": [a for a in article.authors.all() if a.pk != user.pk],
            }
        super().__init__(*args, **kwargs)
        self.fields["coauthors"].queryset = access.trainers_except(user)
        self.fields["coauthors"].label_from_instance = lambda u: u.display_name
        channels = Channel.objects.exclude(kind=Channel.Kind.DIRECT).filter(archived_at=None)
        if not user.is_platform_admin:
            channels = channels.filter(memberships__user=user)
        if article is not None:
            # keep channels chosen earlier selectable, even by a co-author who is not in them
            channels = Channel.objects.filter(
                Q(pk__in=channels.values("pk")) | Q(pk__in=article.channels.values("pk"))
            )
        self.fields["channels"].queryset = channels.order_by("name")
        if article is None or not article.cover:
            del self.fields["remove_cover"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("audience") == Article.Audience.CHANNELS and not data.get("channels"):
            self.add_error("channels", _("Choose at least one channel."))
        if data.get("cover_upload") and not data.get("cover_alt"):
            self.add_error("cover_alt", _("Describe the cover image."))
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, office document or image, at most 10 MB."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("You can use Markdown."),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ShareForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), empty_label=_("Choose a channel")
    )
    note = forms.CharField(label=_("Message"), max_length=500, required=False)

    def __init__(self, *args: Any, user: User, article: Article, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = Channel.objects.filter(memberships__user=user, archived_at=None).exclude(
            kind=Channel.Kind.DIRECT
        )
        if article.is_restricted:
            channels = channels.filter(knowledge_articles=article)
        self.fields["channel"].queryset = channels.order_by("name")


class ArticleSearchForm(SearchForm):
    q = forms.CharField(label=_("Search articles"), max_length=200, required=False)
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All themes"),
        widget=PlainSelect(label_field="name"),
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All tags"),
        widget=PlainSelect(label_field="name"),
    )

    def clean_q(self) -> str:
        q = self.cleaned_data.get("q", "")
        if q and not _WORD.findall(q):
            raise forms.ValidationError(_("Type at least one word."))
        return q


DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SessionForm(forms.ModelForm):
    # at least one place: the database refuses 0 with a bare constraint message
    capacity = LearningSession._meta.get_field("capacity").formfield(min_value=1)
    trainers = forms.ModelMultipleChoiceField(
        label=_("Other trainers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LearningSession
        fields = [
            "title",
            "description",
            "themes",
            "starts_at",
            "ends_at",
            "location",
            "online_url",
            "capacity",
            "registration_deadline",
            "article",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "themes": forms.CheckboxSelectMultiple,
            "starts_at": DATETIME_WIDGET,
            "ends_at": DATETIME_WIDGET,
            "registration_deadline": DATETIME_WIDGET,
        }

    def __init__(self, *args: Any, user: User, articles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainers"].queryset = access.trainers_except(user)
        self.fields["trainers"].label_from_instance = lambda u: u.display_name
        current = self.instance.article if self.instance.article_id else None
        if current is not None:
            # Keep the linked article a choice even when this editor could not pick it now (a
            # co-trainer outside its channels, or it went back to draft): saving the session
            # must not drop the link. Its title is only shown to those who may read it.
            articles = Article.objects.filter(
                Q(pk__in=articles.values("pk")) | Q(pk=current.pk)
            ).order_by("title")
            if not access.may_read(user, current):
                hidden = current.pk
                self.fields["article"].label_from_instance = lambda a: (  # type: ignore[attr-defined]
                    _("The article linked now (you cannot read it)") if a.pk == hidden else a.title
                )
        self.fields["article"].queryset = articles
        self.fields["article"].empty_label = _("No article")  # type: ignore[attr-defined]
        for name in ("starts_at", "ends_at", "registration_deadline"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if self.instance.pk:
            self.fields["trainers"].initial = [
                t.pk for t in self.instance.trainers.all() if t.pk != user.pk
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        deadline = data.get("registration_deadline")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The session must end after it starts."))
        if starts and deadline and deadline > starts:
            self.add_error(
                "registration_deadline", _("The registration deadline must be before the start.")
            )
        if not data.get("location") and not data.get("online_url"):
            self.add_error("location", _("Give a place or an online link."))
        return data
