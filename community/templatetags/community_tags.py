from django import template

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
