from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from directory.models import Organisation
from insights.models import PulseScale, PulseStatement, QuarterNote, Target
from insights.quarters import Quarter
from insights.report import THRESHOLD
from insights.targets import GROUPS, INDICATORS, NOTE_MAX_LENGTH

#: no organisation in the pilot has more professionals than this in two neighbourhoods
MAX_EXPECTED = 10_000


class ExpectedHeadcountForm(forms.Form):
    """One number per organisation: how many of its professionals work in the area."""

    def __init__(
        self, *args: Any, organisations: list[Organisation], current: dict[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        for organisation in organisations:
            self.fields[self.field_name(organisation)] = forms.IntegerField(
                label=organisation.name,
                required=False,
                min_value=0,
                max_value=MAX_EXPECTED,
                initial=current.get(organisation.pk) or None,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "wijk-number"}),
            )
        self.current = current
        self.quarter_label = Quarter.current().label

    @staticmethod
    def field_name(organisation: Organisation) -> str:
        return f"expected-{organisation.pk}"

    def changes(self) -> list[tuple[Organisation, int]]:
        """The organisations whose number differs from the one that applies now; an emptied
        field becomes 0: no expectation."""
        changed = []
        for organisation in self.organisations:
            number = self.cleaned_data.get(self.field_name(organisation)) or 0
            if number != self.current.get(organisation.pk, 0):
                changed.append((organisation, number))
        return changed


AGREEMENT_LABELS = {
    1: _("Strongly disagree"),
    2: _("Disagree"),
    3: _("Neutral"),
    4: _("Agree"),
    5: _("Strongly agree"),
}


def choices_for(statement: PulseStatement) -> list[tuple[str, str]]:
    if statement.scale == PulseScale.AGREEMENT:
        return [(str(value), str(label)) for value, label in AGREEMENT_LABELS.items()]
    return [(str(value), str(value)) for value in statement.values_offered]


class PulseForm(forms.Form):
    """One required choice per statement of the quarter; nothing else."""

    quarter = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, statements: list[PulseStatement], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statements = statements
        for statement in statements:
            help_text = (
                _("1 is very low, 10 is very high.") if statement.scale == PulseScale.SCORE else ""
            )
            self.fields[self.field_name(statement)] = forms.TypedChoiceField(
                label=statement.text,
                choices=choices_for(statement),
                coerce=int,
                widget=forms.RadioSelect,
                help_text=help_text,
                error_messages={"required": _("Choose an answer to this statement.")},
            )

    @staticmethod
    def field_name(statement: PulseStatement) -> str:
        return f"statement_{statement.pk}"

    def values(self) -> dict[PulseStatement, int]:
        return {s: self.cleaned_data[self.field_name(s)] for s in self.statements}


class QuarterTargetsForm(forms.Form):
    """A quarter's targets, one optional number per indicator, and the quarter's note."""

    note = forms.CharField(
        label=_("Explanation of the quarter"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What the coalition should know when reading this quarter's figures: what happened, "
            "what explains a rise or fall. Plain text, or Markdown: **bold**, lists, links."
        ),
        error_messages={
            "max_length": _(
                "Keep the explanation to %(limit_value)d characters at most (it has "
                "%(show_value)d)."
            )
        },
    )

    def __init__(self, *args: Any, quarter: Quarter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quarter = quarter
        targets = dict(
            Target.objects.filter(quarter=str(quarter)).values_list("indicator", "value")
        )
        for _spec, group in GROUPS:
            for indicator, label in group:
                self.fields[indicator.key] = self._target_field(label, targets.get(indicator.key))
        note = QuarterNote.objects.filter(quarter=str(quarter)).first()
        self.fields["note"].initial = note.text if note else ""
        self.order_fields([indicator.key for indicator in INDICATORS] + ["note"])

    @staticmethod
    def _target_field(label: str | Promise, initial: int | None) -> forms.IntegerField:
        """A target, labelled as its row in the dashboard's table: the fieldset's legend names
        the table."""
        return forms.IntegerField(
            label=label,
            required=False,
            min_value=THRESHOLD,
            max_value=1_000_000,
            initial=initial,
            widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
            error_messages={
                "invalid": _("Write the target as a whole number, such as 40."),
                "min_value": _(
                    "A target is at least %(limit_value)s: figures below it are not shown, "
                    "so they cannot be compared with a target."
                ),
                "max_value": _("A target is at most %(limit_value)s."),
            },
        )

    @property
    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The target fields per dashboard table, for a fieldset each."""
        return [(str(spec.title), [self[i.key] for i, _label in group]) for spec, group in GROUPS]

    @property
    def targets(self) -> dict[str, int | None]:
        return {indicator.key: self.cleaned_data.get(indicator.key) for indicator in INDICATORS}
