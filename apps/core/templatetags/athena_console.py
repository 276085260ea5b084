"""The operations console's dashboard and header links (apps.core.console) in templates."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from apps.core import console

register = template.Library()


@register.inclusion_tag("admin/console/dashboard.html", takes_context=True)
def console_dashboard(context) -> dict:
    request = context["request"]
    day = console.brasilia_day()
    sections = console.dashboard_for(request.user, now=day.now)
    rows = []
    for section in sections:
        figures = section.figures
        rows.append(
            {
                "key": section.key,
                "title": section.title,
                "figures": [(figure, figure.age_display(day.now)) for figure in figures],
                # Columns only where some line has something to put in them.
                "has_count": any(f.count is not None for f in figures),
                "has_amount": any(f.amount_cents is not None for f in figures),
                "has_oldest": any(f.oldest_at is not None for f in figures),
                "has_detail": any(f.detail or f.status for f in figures),
            }
        )
    return {"sections": rows, "day": day, "request": request}


@register.simple_tag(takes_context=True)
def console_nav_links(context) -> list[tuple[str, str, str]]:
    """(key, label, url) of the header links this user may follow."""
    request = context.get("request")
    if request is None:
        return []
    links = []
    for link in console.nav_links_for(request.user):
        try:
            links.append((link.key, str(link.label), reverse(link.url_name)))
        except NoReverseMatch:  # an app whose admin is not mounted
            continue
    return links
