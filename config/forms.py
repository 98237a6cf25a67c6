from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Renders every form with the NL Design System markup in templates/forms/."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
