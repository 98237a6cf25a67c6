from __future__ import annotations

import html
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.chat import MAX_MESSAGE_LENGTH


class BoundField(forms.BoundField):
    @property
    def marked_optional(self) -> bool:
        """Whether the label says "optional": only in a form that also asks for something, not
        on a search box, a filter or the message box, where nobody expects to have to fill in
        a field; never on a choice made by ticking or not."""
        if not getattr(self.form, "marks_optional", True):
            return False
        if self.widget_type in ("checkbox", "checkboxselectmultiple", "radioselect"):
            return False  # leaving a box unticked is an answer, not a gap
        return not self.field.required and any(
            field.required and not field.widget.is_hidden for field in self.form.fields.values()
        )


class SearchForm(forms.Form):
    """A search or a filter: any field may stay empty, so no label says "optional"."""

    marks_optional = False


class FormRenderer(TemplatesSetting):
    """Renders every form with the NL Design System markup in templates/forms/."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = BoundField


class PlainSelect(forms.Select):
    """A ``<select>`` of a model choice field built from one ``values_list`` with plain string
    joins: the template engine spends about a tenth of a millisecond per option, and a list of
    channels or themes may be long. ``label_field`` names the column shown as the label."""

    def __init__(self, *args: Any, label_field: str = "name", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_field = label_field

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        # the NL Design System select, as templates/django/forms/widgets/select.html renders it
        final["class"] = " ".join(
            filter(None, ["utrecht-select utrecht-select--html-select", final.get("class")])
        )
        chosen = {str(v) for v in self.format_value(value)}
        field = self.choices.field  # type: ignore[attr-defined]
        rows: list[tuple[Any, Any]] = []
        if field.empty_label is not None:
            rows.append(("", field.empty_label))
        rows += field.queryset.values_list(field.to_field_name or "pk", self.label_field)
        # the standard library's escape: the same output as Django's, several times faster
        options = "".join(
            f'<option value="{html.escape(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{html.escape(str(label))}</option>"
            for key, label in rows
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of one person, each shown by their name: never by their e-mail address, which is
    what a user's ``str`` falls back to."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class NamesField(forms.CharField):
    """Names separated by commas (tags, areas of expertise), as a list: spaces tidied, empty
    ones and repeats (whatever their capitals) left out. At most ``most`` names of at most
    ``longest`` characters; unknown names are created when the form's object is saved."""

    default_error_messages = {
        "too_long": _("Each name may be at most %(longest)d characters."),
        "too_many": _("Name at most %(most)d."),
    }

    def __init__(self, *, most: int, longest: int = 60, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)
        self.most = most
        self.longest = longest

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # a list, not text
        names: list[str] = []
        for raw in (super().to_python(value) or "").split(","):
            name = " ".join(raw.split())
            if len(name) > self.longest:
                raise ValidationError(
                    self.error_messages["too_long"], "too_long", {"longest": self.longest}
                )
            if name and name.lower() not in {n.lower() for n in names}:
                names.append(name)
        if len(names) > self.most:
            raise ValidationError(self.error_messages["too_many"], "too_many", {"most": self.most})
        return names


def add_errors(form: forms.BaseForm, error: ValidationError, field: str | None = None) -> None:
    """Show a service's refusal on ``form``: an error about one of the form's fields at that
    field, one about another field or about none above the form; an error that names no field
    at ``field`` (above the form without it)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(field, error)


class MessageForm(forms.Form):
    """The message box of every room; ``client_id`` makes a resent form store one message."""

    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea({"rows": 2}),
        error_messages={
            "max_length": _(
                "A message can be at most %(limit_value)d characters (this one has %(show_value)d)."
            )
        },
    )
    # new with every rendered form, so that the page sent twice (a double click, the browser's
    # "resend") stores one message; the live client sets its own for each message it sends
    client_id = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)
