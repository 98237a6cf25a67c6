from __future__ import annotations

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from core.forms import NamesField
from directory.models import ExpertiseTag, Neighbourhood, Organisation, Professional, ServiceTheme
from directory.search import SlugChoiceField


class ProfileForm(forms.ModelForm):
    display_name = forms.CharField(label=_("Name"), max_length=150)
    expertise_names = NamesField(
        most=15,
        error_messages={
            "too_long": _("Each expertise may be at most %(longest)d characters."),
            "too_many": _("Name at most %(most)d areas of expertise."),
        },
        label=_("Expertise"),
        help_text=_(
            "Separate with commas, for example: armoede, mantelzorg, Positieve Gezondheid."
        ),
    )
    photo_upload = forms.ImageField(
        label=_("Photo"),
        required=False,
        help_text=_("A JPEG or PNG of at most 5 MB; it is cropped to a square."),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    class Meta:
        model = Professional
        fields = [
            "job_title",
            "disciplines",
            "neighbourhoods",
            "languages",
            "availability",
            "phone",
            "phone_visibility",
            "email_visibility",
            "big_number",
            "agb_code",
            "bio",
        ]
        widgets = {
            "disciplines": forms.CheckboxSelectMultiple,
            "neighbourhoods": forms.CheckboxSelectMultiple,
            "languages": forms.CheckboxSelectMultiple,
            "phone_visibility": forms.RadioSelect,
            "email_visibility": forms.RadioSelect,
            "bio": forms.Textarea(attrs={"rows": 6}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "big_number": forms.TextInput(attrs={"inputmode": "numeric"}),
            "agb_code": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    field_order = ["display_name", "job_title"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].initial = self.instance.user.display_name
        self.fields["expertise_names"].initial = ", ".join(
            tag.name for tag in self.instance.expertise.all()
        )

    def save(self, commit: bool = True) -> Professional:
        professional = super().save(commit=commit)
        user = professional.user
        if user.display_name != self.cleaned_data["display_name"]:
            user.display_name = self.cleaned_data["display_name"]
            user.save(update_fields=["display_name"])
        tags = []
        for name in self.cleaned_data["expertise_names"]:
            tag = ExpertiseTag.objects.filter(name__iexact=name).first()
            if tag is None:
                tag = ExpertiseTag.objects.create(name=name, slug=_unique_slug(name))
            tags.append(tag)
        professional.expertise.set(tags)
        return professional


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "expertise"
    slug, n = base, 2
    while ExpertiseTag.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class MembershipRequestForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("Choose your organisation"),
        help_text=_("An administrator of the organisation confirms that you work there."),
    )


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "description",
            "address",
            "postcode",
            "city",
            "phone",
            "email",
            "website",
            "neighbourhoods",
            "services",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "neighbourhoods": forms.CheckboxSelectMultiple,
            "services": forms.CheckboxSelectMultiple,
        }

    def clean_postcode(self) -> str:
        postcode = self.cleaned_data["postcode"].upper().replace(" ", "")
        return f"{postcode[:4]} {postcode[4:]}" if postcode else ""


class SocialMapForm(forms.Form):
    """The social map's filters: a theme of help and a neighbourhood."""

    theme = SlugChoiceField(ServiceTheme.objects.all(), _("Theme"))
    neighbourhood = SlugChoiceField(Neighbourhood.objects.all(), _("Neighbourhood"))
