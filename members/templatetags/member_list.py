"""Template tags of the member overview (kept in Python: it renders on every list view)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label: str, cls: str = ""):
    """A sortable column header: a link that sorts by ``key``, then by ``-key``."""
    current = context.get("current_sort", "")
    descending = f"-{key}"
    target = descending if current == key else key
    aria, arrow = "", ""
    if current == key:
        aria, arrow = ' aria-sort="ascending"', " ▲"
    elif current == descending:
        aria, arrow = ' aria-sort="descending"', " ▼"
    href = f"?{context.get('sort_query', '')}&sort={target}"
    return format_html(
        '<th class="{}"{}><a href="{}">{}{}</a></th>',
        cls,
        mark_safe(aria),
        href,
        label,
        arrow,  # noqa: S308
    )
