from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def any_selected(values) -> bool:
    return any(getattr(v, "selected", False) for v in values or ())


@register.filter
def page_range(page):
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


@register.filter
def initials(user) -> str:
    name = str(user).strip()
    parts = [p for p in name.replace(".", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.simple_tag
def facet_items(name, values):
    """The checkboxes of one facet. Built in Python: a directory page shows about a
    hundred of them, and through the template engine they were most of its cost."""
    return format_html_join(
        "",
        '<li><input type="checkbox" name="{0}" value="{1}" id="f-{0}-{1}"{2}>'
        '<label for="f-{0}-{1}"><span>{3}</span> <span class="count">{4}</span></label></li>',
        ((name, f.value, mark_safe(" checked") if f.selected else "", f.label, intcomma(f.count)) for f in values),  # noqa: S308 - a constant
    )
