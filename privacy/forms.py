from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import forms as core_forms
from core.files import ACCEPT
from core.forms import PersonChoiceField
from directory.models import Organisation
from privacy.access import invitable
from privacy.models import (
    DIMENSIONS,
    AccessLogEntry,
    CaseMember,
    CaseRoom,
    Consent,
    Goal,
    LegalGround,
    PlanStatus,
)
from privacy.validators import validate_no_identifier, validate_pseudonym


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class CaseRoomForm(forms.Form):
    pseudonym = forms.CharField(
        label=_("Pseudonym"),
        max_length=80,
        validators=[validate_pseudonym],
        help_text=CaseRoom._meta.get_field("pseudonym").help_text,
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=1000,
        widget=forms.Textarea({"rows": 3}),
        validators=[validate_no_identifier],
        help_text=CaseRoom._meta.get_field("purpose").help_text,
    )
    legal_ground = forms.ChoiceField(
        label=_("Legal ground"),
        choices=LegalGround.choices,
        widget=forms.RadioSelect,
        initial=LegalGround.CONSENT,
        help_text=_(
            "Your organisation decides which ground applies; ask your privacy officer when in "
            "doubt. Sharing with other organisations always needs the resident's consent here."
        ),
    )


class ConsentForm(forms.Form):
    given_by = forms.ChoiceField(
        label=_("Given by"), choices=Consent.GivenBy.choices, widget=forms.RadioSelect
    )
    given_by_description = forms.CharField(
        label=_("Description of who gave it"),
        required=False,
        max_length=120,
        validators=[validate_no_identifier],
        help_text=Consent._meta.get_field("given_by_description").help_text,
    )
    form = forms.ChoiceField(
        label=_("Form"), choices=Consent.Form.choices, initial=Consent.Form.VERBAL
    )
    given_on = forms.DateField(label=_("Given on"), widget=DateInput)
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=DateInput,
        help_text=_("Consent is for a limited time; one year is common."),
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations covered"),
        queryset=Organisation.objects.filter(verified=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only professionals of these organisations can be invited."),
    )

    def clean(self):
        data = super().clean()
        given_on, valid_until = data.get("given_on"), data.get("valid_until")
        if given_on and given_on > timezone.localdate():
            self.add_error("given_on", _("This date lies in the future."))
        if given_on and valid_until and valid_until < given_on:
            self.add_error("valid_until", _("The end date lies before the start date."))
        return data


class InviteForm(forms.Form):
    """The professionals the room's consent covers and who are not in the room yet, each with
    the organisation they would join for (``access.invitable``)."""

    user = forms.ModelChoiceField(
        label=_("Professional"),
        queryset=User.objects.none(),
        empty_label=_("Choose a professional"),
        help_text=_("Only professionals of organisations the consent covers can be invited."),
        error_messages={
            "invalid_choice": _(
                "Choose someone from the list: only professionals of organisations the consent "
                "covers, who are not in the room yet, can be invited."
            )
        },
    )

    def __init__(self, *args, room: CaseRoom, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = invitable(room)
        organisations = {user.pk: organisation.name for user, organisation in self.choices}
        field = self.fields["user"]
        field.queryset = User.objects.filter(pk__in=organisations).order_by("display_name", "pk")
        field.label_from_instance = lambda user: f"{user.display_name} ({organisations[user.pk]})"


class MessageForm(core_forms.MessageForm):
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("PDF, office document or photo, up to 10 MB."),
        widget=forms.FileInput({"class": "wijk-file-input", "accept": ACCEPT}),
    )


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Goal"), max_length=200)
    description = forms.CharField(
        label=_("Explanation"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class AgreementForm(forms.Form):
    description = forms.CharField(label=_("Agreement"), max_length=300)
    owner = PersonChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The resident or their network"),
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput)
    goal = forms.ModelChoiceField(
        label=_("Goal"), queryset=Goal.objects.none(), required=False, empty_label=_("No goal")
    )

    def __init__(self, *args, room: CaseRoom, owner_before: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # the active members; when editing, also the owner so far, who may have left the room
        owners = Q(case_memberships__room=room, case_memberships__status=CaseMember.Status.ACTIVE)
        if owner_before is not None:
            owners |= Q(pk=owner_before.pk)
        self.fields["owner"].queryset = (
            User.objects.filter(owners).distinct().order_by("display_name")
        )
        self.fields["goal"].queryset = room.goals.order_by("created_at")
        self.fields["goal"].label_from_instance = lambda goal: goal.title


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PlanStatus.choices)


class HealthRecordForm(forms.Form):
    conversation_on = forms.DateField(label=_("Conversation date"), widget=DateInput)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in DIMENSIONS:
            self.fields[key] = forms.IntegerField(
                label=label, min_value=0, max_value=10, widget=forms.NumberInput({"step": 1})
            )
            self.fields[f"{key}_talk"] = forms.BooleanField(
                label=_("Wants to talk about this"), required=False
            )

    def dimension_fields(self):
        return [(self[key], self[f"{key}_talk"]) for key, _label in DIMENSIONS]

    @property
    def scores(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key, _label in DIMENSIONS}

    @property
    def talk(self) -> list[str]:
        return [key for key, _label in DIMENSIONS if self.cleaned_data.get(f"{key}_talk")]


class LogFilterForm(core_forms.SearchForm):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AccessLogEntry.Action.choices],
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("All outcomes")), *AccessLogEntry.Outcome.choices],
    )
    user = forms.CharField(label=_("User"), required=False, max_length=100)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput)
    room = forms.IntegerField(label=_("Case room number"), required=False, min_value=1)

    def filter(self, entries):
        data = self.cleaned_data
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("outcome"):
            entries = entries.filter(outcome=data["outcome"])
        if data.get("user"):
            entries = entries.filter(user_name__icontains=data["user"])
        if data.get("since"):
            entries = entries.filter(occurred_at__date__gte=data["since"])
        if data.get("until"):
            entries = entries.filter(occurred_at__date__lte=data["until"])
        if data.get("room"):
            entries = entries.filter(room_id_ref=data["room"])
        return entries
