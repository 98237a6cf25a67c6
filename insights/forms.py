from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from insights.models import QuarterNote, Target
from insights.quarters import Quarter
from insights.report import THRESHOLD
from insights.targets import GROUPS, INDICATORS, NOTE_MAX_LENGTH


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
