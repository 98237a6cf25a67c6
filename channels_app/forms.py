from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from channels_app.models import Channel, PushLevel, PushPreferences
from core import forms as core_forms
from core.forms import PersonChoiceField
from directory.models import Neighbourhood


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(
        label=_("Who can join"),
        choices=[
            (Channel.Kind.OPEN, _("Open: every verified professional can join")),
            (Channel.Kind.CLOSED, _("Closed: by invitation, or by a request you approve")),
        ],
        widget=forms.RadioSelect,
        initial=Channel.Kind.OPEN,
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=1000, widget=forms.Textarea({"rows": 3})
    )
    topic = forms.CharField(label=_("Topic"), required=False, max_length=250)
    neighbourhoods = forms.ModelMultipleChoiceField(
        label=_("Neighbourhoods"),
        queryset=Neighbourhood.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ChannelSettingsForm(ChannelForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class MessageForm(core_forms.MessageForm):
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        """The name, and what tells two people of one name apart: job title, organisation."""
        professional = getattr(obj, "professional", None)
        details = []
        if professional is not None:
            details = [professional.job_title] + [o.name for o in professional.organisations.all()]
        details = [detail for detail in details if detail]
        return f"{obj.display_name} — {', '.join(details)}" if details else obj.display_name


class DirectMessageForm(forms.Form):
    people = PeopleField(
        label=_("With"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose one or more people, up to seven."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # everyone verified but the person choosing
        people = self.fields["people"]
        assert isinstance(people, PeopleField)
        people.queryset = (
            User.objects.filter(is_active=True, professional__verified=True)
            .exclude(pk=user.pk)
            .select_related("professional")
            .prefetch_related("professional__organisations")
            .order_by("display_name")
        )


class InviteForm(forms.Form):
    user = PersonChoiceField(
        label=_("Invite"),
        queryset=User.objects.filter(is_active=True, professional__verified=True).order_by(
            "display_name"
        ),
        empty_label=_("Choose a colleague"),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this message?"),
        max_length=500,
        widget=forms.Textarea({"rows": 3}),
        help_text=_(
            "The moderators see this message as it is now and your reason, not the rest of the "
            "conversation. Every look at a report is logged."
        ),
    )


class PushPreferencesForm(forms.ModelForm):
    """When push notifications may come, and what they may show (``channels_app.push``)."""

    class Meta:
        model = PushPreferences
        fields = ["quiet_from", "quiet_until", "quiet_weekends", "show_content"]
        labels = {
            "quiet_from": _("Quiet from"),
            "quiet_until": _("Quiet until"),
            "quiet_weekends": _("Quiet all weekend"),
            "show_content": _("Show the sender and the first words of messages in open channels"),
        }
        help_texts = {
            "quiet_until": _(
                "No push notifications between these times (Dutch time). The same time twice: "
                "no quiet hours."
            ),
            "show_content": _(
                "Others may see them on your screen. Open channels only: a push notification "
                "about anything else never shows a name or content."
            ),
        }
        widgets = {
            "quiet_from": forms.TimeInput({"type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput({"type": "time"}, format="%H:%M"),
        }


class PushLevelForm(forms.Form):
    push = forms.ChoiceField(
        label=_("Push notifications from this channel"),
        choices=PushLevel.choices,
        widget=forms.RadioSelect,
    )
