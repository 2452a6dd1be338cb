"""Recreates Wagtail's page tree after a transactional test flushed it (stack note 10)."""

from django.db import transaction


def ensure_wagtail_tree() -> None:
    from wagtail.models import Collection, Locale, Page, Site

    from cms.models import HomePage

    if HomePage.objects.exists() and Site.objects.exists():
        return
    with transaction.atomic():
        locale, _ = Locale.objects.get_or_create(language_code="en")
        if not Collection.objects.exists():
            Collection.add_root(name="Root")
        root = Page.get_first_root_node()
        if root is None:
            root = Page.add_root(title="Root", slug="root", locale=locale)
        home = HomePage.objects.first()
        if home is None:
            home = root.add_child(instance=HomePage(title="Home", slug="home", locale=locale))
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "BioManufacturing Europe"},
        )
