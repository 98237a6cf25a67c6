from django import template
from django.utils.safestring import SafeString

from core.rendering import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Render a user's Markdown safely: ``{{ professional.bio|markdown }}``."""
    return render_markdown(text)
