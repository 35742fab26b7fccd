"""Template helpers for the accounting-systems pages."""

from django import template

from forecaster.systems.forms import sends_in_clear

register = template.Library()


@register.filter
def in_clear(url: str) -> bool:
    """Plain http:// to another machine: the secret crosses a network unencrypted."""
    return sends_in_clear(url)
