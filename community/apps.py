from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def name_the_site(sender, using="default", **kwargs):
    """Account emails and sitemaps read the sites row: give it our name, not example.com."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.WAGTAILADMIN_BASE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME})


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self):
        from django.db.models.signals import post_delete

        from community.search import directory_changed

        post_migrate.connect(name_the_site, sender=self)
        post_delete.connect(lambda **kwargs: directory_changed(), sender="community.Organisation", weak=False)
