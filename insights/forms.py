from __future__ import annotations

from typing import Any

from django import forms

from directory.models import Organisation
from insights.quarters import Quarter

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
