"""Template helpers for the accounting-systems pages."""

from django import template

from forecaster.systems import registry
from forecaster.systems.forms import sends_in_clear

register = template.Library()


@register.filter
def in_clear(url: str) -> bool:
    """Plain http:// to another machine: the secret crosses a network unencrypted."""
    return sends_in_clear(url)


@register.simple_tag
def help_pages() -> list[registry.SystemType]:
    """The set-up help pages of the registered types (``help_url_name``, ``help_title``)::

    {% help_pages as helps %}{% for t in helps %}
      <a href="{% url t.help_url_name %}">{{ t.help_title }}</a>{% endfor %}
    """
    return registry.help_pages()
