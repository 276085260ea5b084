"""Template filters for money: `{{ cents|brl }}` -> "R$ 1.234,56"."""

from __future__ import annotations

from django import template

from apps.core.money import format_brl

register = template.Library()


@register.filter
def brl(cents) -> str:
    """Centavos (int) as people read them in Brazil; empty for None or anything not an int
    (amounts never pass through float, so a float here is a bug, not a value to round)."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        return ""
    return format_brl(cents)
